"""Writing: a short answer in the asker's language, from the quotes, checked sentence by sentence.

    quotes (search.citations) -> prompt (quotes as data) -> client (an OpenAI-compatible endpoint:
    a hosted API, llama.cpp, Ollama, or ``local``'s embedded llama.cpp server) -> checking (each
    sentence against the quotes it cites) -> a ``Written`` record, or the reason it is not shown

The written answer is a convenience over the verbatim quotes, never a replacement: a sentence
that its quotes do not support is dropped, and any failure leaves the extractive answer alone.
"""
