"""The TensorFlow side of the row-wise step, table row access, input feeding and convolutions."""

import math
import time

import keras
import numpy as np
import tensorflow as tf

from keras_lord.backend import keras_compat
from keras_lord.data.batch_split import UNSPLIT, BatchSplit
from keras_lord.data.epoch_batches import epoch_order
from keras_lord.optimizers.loss_scaling import loss_scale_of, scaled_step
from keras_lord.utils.accelerators import computes_bfloat16
from keras_lord.utils.cpu import (
    NATIVE_BFLOAT16_FEATURES,
    cpu_flags,
    onednn_enabled,
    onednn_isa_admits,
)

# Out-of-memory errors of the backend beyond Python's `MemoryError`.
OUT_OF_MEMORY_ERRORS = (tf.errors.ResourceExhaustedError,)


def gather_rows(variable, row_ids):
    """Rows of a 2-D variable, read without copying the whole variable.

    A gather on the resource variable itself: reading the variable first would make the
    step's later row writes copy the whole table (TensorFlow copies on write while a read
    of the buffer is alive).

    Args:
        variable: a `keras.Variable` (or a `tf.Variable`).
        row_ids: `(batch,)` integer rows.

    Returns:
        `(batch, dim)` rows.

    """
    native = variable.value if isinstance(variable, keras.Variable) else variable
    return tf.gather(native, row_ids)


def scatter_rows(optimizer, variable, row_ids, rows) -> None:
    """Writes `rows` into `variable` at `row_ids` in place (no copy of the table).

    Args:
        optimizer: the optimizer doing the write (its `assign` handles distribution).
        variable: the table.
        row_ids: `(batch,)` rows, each at most once.
        rows: `(batch, dim)` new values.

    """
    optimizer.assign(variable, tf.IndexedSlices(rows, row_ids))


def accelerator_names() -> list:
    """The GPUs TensorFlow computes on, e.g. `["gpu:NVIDIA A100-SXM4-40GB"]`.

    Returns:
        One `gpu:name` per GPU; empty without one.

    """
    return [
        "gpu:" + tf.config.experimental.get_device_details(gpu).get("device_name", gpu.name)
        for gpu in tf.config.list_physical_devices("GPU")
    ]


def accelerator_bfloat16() -> bool | None:
    """Whether the GPUs TensorFlow computes on compute bfloat16 natively.

    Returns:
        `None` without a GPU; otherwise whether every GPU does, from its compute
        capability (`keras_lord.utils.accelerators.computes_bfloat16`).

    """
    gpus = tf.config.list_physical_devices("GPU")
    if not gpus:
        return None
    return all(
        computes_bfloat16(
            "gpu", tf.config.experimental.get_device_details(gpu).get("compute_capability")
        )
        for gpu in gpus
    )


def check_rowwise_supported() -> None:
    """Row-wise updates run on one TensorFlow replica.

    Raises:
        ValueError: under a `tf.distribute` strategy with several replicas.

    """
    replicas = tf.distribute.get_strategy().num_replicas_in_sync
    if replicas > 1:
        raise ValueError(
            f"Row-wise table updates run on one TensorFlow replica; this strategy has "
            f"{replicas}. Pass `table_updates='dense'`, or use the JAX backend."
        )


def row_gradient_train_step(trainer, data):
    """The body of `train_step` that differentiates the batch's table rows.

    The rows are gathered outside of the tape and watched; the gradients of the network
    weights go to the trainer's optimizer, those of the rows to the tables' row-wise Adam.

    Args:
        trainer: a `LordTrainer` in stage 1 with row-wise table updates.
        data: the batch.

    Returns:
        The logs.

    """
    x, y, sample_weight = keras_compat.unpack_x_y_sample_weight(data)
    rows = trainer.tables.gather(x)
    with tf.GradientTape() as tape:
        tape.watch(list(rows.values()))
        inputs = {**x, **rows}
        y_pred = trainer(inputs, training=True)
        loss = keras_compat.tracked_loss(
            trainer, inputs, y, y_pred, sample_weight, tf.shape(x["image"])[0]
        )
        loss = trainer.optimizer.scale_loss(loss)
    weights = trainer.trainable_weights
    gradients = tape.gradient(loss, weights + list(rows.values()))
    network_gradients = gradients[: len(weights)]
    row_gradients = dict(zip(rows, gradients[len(weights) :]))
    apply = None
    scale = loss_scale_of(trainer.optimizer, weights)
    if scale is not None:
        network_gradients, row_gradients, apply = scaled_step(
            network_gradients, row_gradients, tf.identity(scale)
        )
    trainer.optimizer.apply(network_gradients, weights)
    trainer.table_optimizer.apply_rows(trainer.tables.row_updates(x, row_gradients), apply)
    return trainer.compute_metrics(x, y, y_pred, sample_weight=sample_weight)


def adversarial_train_step(trainer, data):
    """The body of `train_step` of the adversarial synthesis stage.

    The generator and encoders' loss (`trainer.compute_loss`, adversarial term included) is
    differentiated with respect to their weights; the discriminator's loss
    (`objective.critic_loss`, on the step's reconstructions without gradient, with the R1
    penalty on the steps `objective.r1_due` picks, chosen by `tf.cond` so that other steps
    skip its second derivative) with respect to the discriminator's. One optimiser update
    applies both.

    Args:
        trainer: a `LordTrainer` in the synthesis stage.
        data: the batch.

    Returns:
        The logs.

    """
    x, y, sample_weight = keras_compat.unpack_x_y_sample_weight(data)
    objective = trainer.objective
    with tf.GradientTape() as tape:
        y_pred = trainer(x, training=True)
        loss = keras_compat.tracked_loss(
            trainer, x, y, y_pred, sample_weight, tf.shape(x["image"])[0]
        )
        loss = trainer.optimizer.scale_loss(loss)
    critic_variables = trainer.discriminator.trainable_variables
    critic_ids = {id(variable) for variable in critic_variables}
    network_variables = [
        variable for variable in trainer.trainable_variables if id(variable) not in critic_ids
    ]
    network_gradients = tape.gradient(loss, network_variables)
    real_images, fake_images = objective.critic_images(x, y_pred)

    def critic_gradients(with_r1):
        def gradients_of():
            with tf.GradientTape() as critic_tape:
                critic_loss, terms = objective.critic_loss(
                    trainer, real_images, fake_images, with_r1
                )
                # Scaled as the generator's loss is: the optimiser divides all gradients.
                critic_loss = trainer.optimizer.scale_loss(critic_loss)
            return critic_tape.gradient(critic_loss, critic_variables), terms

        return gradients_of

    with_r1 = objective.r1_due(trainer, trainer.optimizer.iterations)
    critic_gradient_values, terms = tf.cond(
        with_r1, critic_gradients(True), critic_gradients(False)
    )
    trainer.optimizer.apply(
        list(network_gradients) + list(critic_gradient_values),
        network_variables + list(critic_variables),
    )
    objective.track_critic(terms, with_r1)
    return trainer.compute_metrics(x, y, y_pred, sample_weight=sample_weight)


def squared_input_gradient_norms(function, inputs):
    """Per sample, the squared norm of the gradient of a scalar function of a batch.

    Args:
        function: from the `(batch, ...)` inputs to a scalar (e.g. the sum of logits).
        inputs: the batch.

    Returns:
        `(batch,)` float32 sums of squared partial derivatives; differentiable again (an
        enclosing tape records the inner one's gradient).

    """
    inputs = tf.convert_to_tensor(inputs)
    with tf.GradientTape() as tape:
        tape.watch(inputs)
        value = function(inputs)
    gradients = tf.cast(tape.gradient(value, inputs), "float32")
    return tf.reduce_sum(tf.square(gradients), axis=tf.range(1, tf.rank(gradients)))


def fit_inputs(
    inputs: dict,
    batch_size: int,
    shuffle: bool,
    seed: int,
    first_epoch: int = 0,
    split: BatchSplit = UNSPLIT,
) -> tuple:
    """Feeds numpy inputs to `fit` as one dataset that repeats, with `steps_per_epoch` set.

    Keras builds a new input iterator for every epoch of `fit`; under TensorFlow the first
    step on a new iterator often takes much longer than the others, a sizeable share of a
    short epoch (`docs/performance.md`). Fed a dataset that repeats, `fit` keeps one
    iterator. Each pass is one epoch: the same batches Keras would make, the last
    one partial, in the order `epoch_order` gives that epoch.

    Args:
        inputs: dict of arrays with the same first dimension.
        batch_size: samples per batch.
        shuffle: whether each pass visits the samples in a new random order.
        seed: seed of the shuffling.
        first_epoch: the number of the first epoch (that of a resumed training).
        split: unused: `keras.distribution` splits batches under JAX only; a
            `tf.distribute` strategy splits this dataset itself.

    Returns:
        `(dataset, steps_per_epoch)`; the dataset shuffles itself, so `fit` must not.

    """
    num_samples = len(next(iter(inputs.values())))
    # Kept as tensors once; batches are gathered by index, so an epoch's order moves indices.
    # On the host: on a GPU machine TensorFlow would place them on GPU:0 (CelebA at 64 px is
    # 2.5 GB), where the CPU input pipeline would gather from them across the bus.
    with tf.device("/CPU:0"):
        tensors = {key: tf.convert_to_tensor(value) for key, value in inputs.items()}

    def order_of(epoch):
        return epoch_order(num_samples, seed, int(epoch), shuffle)

    def batches_of(epoch):
        order = tf.numpy_function(order_of, [epoch], tf.int64, stateful=False)
        order = tf.ensure_shape(order, [num_samples])
        return tf.data.Dataset.from_tensor_slices(order).batch(batch_size)

    # Without tf.data's autotuning: its thread waits up to a minute between rounds, and
    # deleting the iterator when `fit` returns waited for it (long stalls at the end of a
    # stage). Gathering a batch takes well under a step, so a fixed buffer
    # of two batches keeps the step fed.
    options = tf.data.Options()
    options.autotune.enabled = False
    dataset = (
        tf.data.Dataset.range(first_epoch, np.iinfo("int64").max)
        .flat_map(batches_of)
        .map(lambda batch: {key: tf.gather(value, batch) for key, value in tensors.items()})
        .prefetch(2)
        .with_options(options)
    )
    return dataset, math.ceil(num_samples / batch_size)


def native_input_gradient_is_slow() -> bool:
    """Whether TensorFlow computes convolution input gradients with its slow kernels here.

    TensorFlow turns oneDNN on by default only on CPUs with AVX512-VNNI, AVX512-BF16,
    AVX-VNNI or AMX (or with `TF_ENABLE_ONEDNN_OPTS=1`). Elsewhere, e.g. on AVX2-only CPUs,
    its Eigen `Conv2DBackpropInput` takes up to several times as long as the same sum
    computed as a forward convolution (`docs/performance.md`). GPUs have their own kernels.

    Returns:
        `True` when convolutions run on the CPU without oneDNN.

    """
    if tf.config.list_logical_devices("GPU"):
        return False
    return not onednn_enabled()


def upsampled_convolution_form() -> str:
    """How `keras_lord.layers.UpsampleConv2D` convolves without upsampling first.

    Returns:
        `"transposed"`: one transposed convolution with a kernel summed from the layer's
        (`UpsampleConv2D.transposed_convolution`), which TensorFlow's kernels ran faster
        than the per-phase form (`docs/performance.md`).

    Example:
    ```python
    print(keras_lord.backend.upsampled_convolution_form())  # "transposed" or "phase"
    ```

    """
    return "transposed"


def blocked_convolutions_can_pay() -> bool:
    """Whether convolutions to few channels may run faster on pixel blocks here.

    Returns:
        `True`: TensorFlow's CPU kernels ran `keras_lord.layers.SpaceToDepthConv2D`'s
        blocked form faster on some CPUs (`docs/performance.md`); on which ones is
        `keras_lord.layers.blocked_convolution()`'s rule.

    Example:
    ```python
    print(keras_lord.backend.blocked_convolutions_can_pay())
    ```

    """
    return True


def native_cpu_bfloat16() -> bool:
    """Whether TensorFlow computes the networks faster in bfloat16 on this CPU.

    oneDNN computes bfloat16 natively with AVX512-BF16 or AMX, unless
    `ONEDNN_MAX_CPU_ISA` limits it below them; elsewhere it emulates bfloat16, more slowly
    than it computes float32 (`docs/performance.md`).

    Returns:
        Whether the CPU has those instructions and oneDNN may use them.

    Example:
    ```python
    print(keras_lord.backend.native_cpu_bfloat16())
    ```

    """
    return onednn_isa_admits("BF16", "AMX") and any(
        feature in cpu_flags() for feature in NATIVE_BFLOAT16_FEATURES
    )


def forward_gradient_convolution(inputs, kernel, padding: str):
    """A stride-1 convolution whose input gradient is computed as a forward convolution.

    The gradient of `conv(x, k)` with respect to `x` is the "full" correlation of the
    output gradient with `k` flipped in space and with its channel axes swapped: this
    computes it that way (`tf.nn.conv2d`) instead of with `Conv2DBackpropInput`. The
    kernel gradient is TensorFlow's own. Values equal `keras.ops.conv` to rounding.

    Args:
        inputs: `(batch, height, width, in)`.
        kernel: `(kernel_height, kernel_width, in, out)`.
        padding: `"same"` or `"valid"`.

    Returns:
        `(batch, height', width', out)`.

    """
    padding = padding.upper()

    @tf.custom_gradient
    def convolve(inputs, kernel):
        outputs = tf.nn.conv2d(inputs, kernel, strides=1, padding=padding)

        def gradient(output_gradient):
            kernel_height, kernel_width = kernel.shape[:2]
            if padding == "SAME":
                # TensorFlow pads "same" convolutions with the odd row and column after.
                top, left = (kernel_height - 1) // 2, (kernel_width - 1) // 2
                bottom, right = kernel_height - 1 - top, kernel_width - 1 - left
            else:
                top = left = bottom = right = 0
            flipped = tf.transpose(tf.reverse(kernel, axis=[0, 1]), (0, 1, 3, 2))
            padded = tf.pad(
                output_gradient,
                [
                    (0, 0),
                    (kernel_height - 1 - top, kernel_height - 1 - bottom),
                    (kernel_width - 1 - left, kernel_width - 1 - right),
                    (0, 0),
                ],
            )
            input_gradient = tf.nn.conv2d(padded, flipped, strides=1, padding="VALID")
            kernel_gradient = tf.raw_ops.Conv2DBackpropFilter(
                input=inputs,
                filter_sizes=tf.shape(kernel),
                out_backprop=output_gradient,
                strides=[1, 1, 1, 1],
                padding=padding,
            )
            return input_gradient, kernel_gradient

        return outputs, gradient

    # A variable passed in would make an eager call's `tf.custom_gradient` require a
    # `variables` argument of `gradient`; its value, read here, passes the kernel
    # gradient on to it all the same.
    return convolve(inputs, tf.convert_to_tensor(kernel))


def time_input_gradients(
    input_shape: tuple, kernel_shape: tuple, padding: str, dtype: str, repeats: int = 3
) -> dict:
    """Seconds of a convolution and its input gradient, with each way of computing it.

    Args:
        input_shape: `(batch, height, width, in)`, fully known.
        kernel_shape: `(kernel_height, kernel_width, in, out)`.
        padding: `"same"` or `"valid"`.
        dtype: the convolution's compute dtype.
        repeats: timed calls of each way.

    Returns:
        `{"native": seconds, "forward": seconds}`, from `time_convolutions`.

    """
    candidates = {
        "native": lambda x, k: tf.nn.conv2d(x, k, strides=1, padding=padding.upper()),
        "forward": lambda x, k: forward_gradient_convolution(x, k, padding),
    }
    return time_convolutions(candidates, input_shape, kernel_shape, dtype, repeats=repeats)


def time_convolutions(
    candidates: dict,
    input_shape: tuple,
    kernel_shape: tuple,
    dtype: str,
    kernel_gradient: bool = False,
    repeats: int = 3,
) -> dict:
    """Seconds of each candidate way of computing one convolution, forward and backward.

    Runs eagerly even inside a trace (`tf.init_scope`), on random tensors of the given
    shapes: one compiled call of each candidate to warm up, then the best of `repeats`.
    Compiled as Keras compiles the training step by default (`jit_compile="auto"`): with
    XLA where TensorFlow has a GPU, by TensorFlow's own kernels on a CPU alone, so that the
    way chosen is the fastest in the step it runs in.

    Args:
        candidates: `{name: convolve}`, each `convolve(inputs, kernel)` the same
            convolution computed its own way.
        input_shape: `(batch, height, width, in)`, fully known.
        kernel_shape: the kernel's shape.
        dtype: the convolution's compute dtype.
        kernel_gradient: also time the gradient with respect to the kernel (for trained
            layers; frozen ones need the input gradient only).
        repeats: timed calls of each candidate.

    Returns:
        `{name: seconds}`.

    """
    seconds = {}
    with tf.init_scope():
        generator = tf.random.Generator.from_seed(0)
        inputs = tf.cast(generator.normal(input_shape), dtype)
        kernel = tf.cast(generator.normal(kernel_shape), dtype)
        for name, convolve in candidates.items():

            @tf.function(autograph=False, jit_compile=bool(accelerator_names()))
            def step(inputs, kernel, convolve=convolve):
                # Graph gradients: `tf.init_scope` pauses every `GradientTape`.
                outputs = convolve(inputs, kernel)
                targets = [inputs, kernel] if kernel_gradient else [inputs]
                return tf.gradients(outputs, targets, grad_ys=outputs)

            _wait_for(step(inputs, kernel))
            times = []
            for _ in range(repeats):
                start = time.perf_counter()
                _wait_for(step(inputs, kernel))
                times.append(time.perf_counter() - start)
            seconds[name] = min(times)
    return seconds


def _wait_for(tensors) -> None:
    for tensor in tensors:
        tensor.numpy()
