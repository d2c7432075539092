from tests.ollama_double.fixtures import *  # noqa: F403
