"""Facts every room shares, defined once: the list order (`list_order`) and the model's contract with its
readers (`model_contract`). Low in the import graph: it imports nothing of the project, so training, serving,
evaluation, the simulator and a logged model (which carries this package with it) can all use it."""
