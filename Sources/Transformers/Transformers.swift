// GPT-2 and Llama-family transformers read from Hugging Face checkpoints (being built).
