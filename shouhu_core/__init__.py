"""Facts every room shares, defined once: the list order (`list_order`). Low in the import graph: it imports
nothing of the project, so training, serving, evaluation and the simulator can all use it."""
