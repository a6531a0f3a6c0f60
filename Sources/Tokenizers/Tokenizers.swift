// Byte-level BPE tokenizers read from Hugging Face `tokenizer.json` files (being built).
