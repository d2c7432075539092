"""File formats read and written without torch: safetensors, GGUF helpers."""
