"""Backend-specific code of keras-lord, chosen once, when keras-lord is imported.

Each backend module provides the same names:

- `gather_rows(variable, row_ids)`: rows of a table without copying the table.
- `scatter_rows(optimizer, variable, row_ids, rows)`: writes rows in place.
- `row_gradient_train_step(trainer, *arguments)`: the body of `train_step` for the
  row-wise step (gradients with `tf.GradientTape` or `jax.value_and_grad`).
- `check_rowwise_supported()`: raises where row-wise updates cannot run.
- `compiled_train_step(trainer, batch)`: the HLO text of one step under the distribution
  set (JAX; `keras_lord.distribution.step_communication` reads its collectives).
- `adversarial_train_step(trainer, *arguments)`: the body of `train_step` of the
  adversarial synthesis stage (two losses, one update), and
  `squared_input_gradient_norms(function, inputs)`: the R1 penalty's input gradients.
- `fit_inputs(inputs, batch_size, shuffle, seed, first_epoch)`: how numpy inputs are fed to
  `fit`, in the batches `keras_lord.data.epoch_batches.epoch_order` gives each epoch.
- `forward_gradient_convolution(inputs, kernel, padding)`: a stride-1 convolution whose
  input gradient is a forward convolution, and `native_input_gradient_is_slow()`: whether
  that beats the backend's own gradient here (`keras_lord.layers.input_gradient`), and
  `time_input_gradients(...)`: both ways timed on one shape (`None` where there is one way),
  and `time_convolutions(candidates, ...)`: any ways of one convolution timed (`None` where
  keras-lord times nothing).
- Several processes training together (JAX): `process_index()`, `values_of_processes(v)`,
  `wait_for_processes(name)`, `held_whole(variables)` (a context in which split tables are
  whole on every process, for saving), `held_on_this_process(variables)` (a context in
  which each process computes alone with its own copy, for grids and evaluations), and
  `checkpoint_restore_targets(variables)`, what Orbax restores a `ResumableCheckpoint`'s
  arrays as.
- `OUT_OF_MEMORY_ERRORS`: the backend's own out-of-memory errors (beyond `MemoryError`).
- What runs faster on this backend, for the layers and settings that depend on it:
  `overhanging_kernels_as_matmul()` (`PatchMatmulConv2D`), `upsampled_convolution_form()`
  (`UpsampleConv2D`), `blocked_convolutions_can_pay()` (`SpaceToDepthConv2D`),
  `native_cpu_bfloat16()` and `accelerator_bfloat16()` (`precision="auto"`), and
  `accelerator_names()` (the machine's measured choices are kept per device), and
  `jaxlib_compiles_convolutions()` (`keras_lord.utils.cpu.prefer_xla_eigen_convolutions`).

Everything else in keras-lord is `keras.ops`. Private Keras API lives in `keras_compat`.
"""

import keras

BACKEND = keras.backend.backend()

if BACKEND == "tensorflow":
    from keras_lord.backend.generic import (
        checkpoint_restore_targets,
        compiled_train_step,
        held_on_this_process,
        held_whole,
        jaxlib_compiles_convolutions,
        overhanging_kernels_as_matmul,
        process_index,
        values_of_processes,
        wait_for_processes,
    )
    from keras_lord.backend.tensorflow import (
        OUT_OF_MEMORY_ERRORS,
        accelerator_bfloat16,
        accelerator_names,
        adversarial_train_step,
        blocked_convolutions_can_pay,
        check_rowwise_supported,
        fit_inputs,
        forward_gradient_convolution,
        gather_rows,
        native_cpu_bfloat16,
        native_input_gradient_is_slow,
        row_gradient_train_step,
        scatter_rows,
        squared_input_gradient_norms,
        time_convolutions,
        time_input_gradients,
        upsampled_convolution_form,
    )
elif BACKEND == "jax":
    from keras_lord.backend.generic import (
        OUT_OF_MEMORY_ERRORS,
        blocked_convolutions_can_pay,
        forward_gradient_convolution,
        native_cpu_bfloat16,
        native_input_gradient_is_slow,
        time_convolutions,
        time_input_gradients,
        upsampled_convolution_form,
    )
    from keras_lord.backend.jax import (
        accelerator_bfloat16,
        accelerator_names,
        adversarial_train_step,
        check_rowwise_supported,
        checkpoint_restore_targets,
        compiled_train_step,
        fit_inputs,
        gather_rows,
        held_on_this_process,
        held_whole,
        jaxlib_compiles_convolutions,
        overhanging_kernels_as_matmul,
        process_index,
        row_gradient_train_step,
        scatter_rows,
        squared_input_gradient_norms,
        values_of_processes,
        wait_for_processes,
    )
else:
    from keras_lord.backend.generic import (
        OUT_OF_MEMORY_ERRORS,
        accelerator_bfloat16,
        accelerator_names,
        adversarial_train_step,
        blocked_convolutions_can_pay,
        check_rowwise_supported,
        checkpoint_restore_targets,
        compiled_train_step,
        fit_inputs,
        forward_gradient_convolution,
        gather_rows,
        held_on_this_process,
        held_whole,
        jaxlib_compiles_convolutions,
        native_cpu_bfloat16,
        native_input_gradient_is_slow,
        overhanging_kernels_as_matmul,
        process_index,
        row_gradient_train_step,
        scatter_rows,
        squared_input_gradient_norms,
        time_convolutions,
        time_input_gradients,
        upsampled_convolution_form,
        values_of_processes,
        wait_for_processes,
    )

__all__ = [
    "BACKEND",
    "OUT_OF_MEMORY_ERRORS",
    "accelerator_bfloat16",
    "accelerator_names",
    "adversarial_train_step",
    "blocked_convolutions_can_pay",
    "check_rowwise_supported",
    "checkpoint_restore_targets",
    "compiled_train_step",
    "fit_inputs",
    "forward_gradient_convolution",
    "gather_rows",
    "held_on_this_process",
    "held_whole",
    "jaxlib_compiles_convolutions",
    "native_cpu_bfloat16",
    "native_input_gradient_is_slow",
    "overhanging_kernels_as_matmul",
    "process_index",
    "row_gradient_train_step",
    "scatter_rows",
    "squared_input_gradient_norms",
    "time_convolutions",
    "time_input_gradients",
    "upsampled_convolution_form",
    "values_of_processes",
    "wait_for_processes",
]
