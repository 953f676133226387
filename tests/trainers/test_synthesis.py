import keras
import numpy as np
import pytest
from conftest import run_python, tiny_trainer, to_numpy

from keras_lord.models import LordDiscriminator
from keras_lord.run_checks import check_synthesis
from keras_lord.saving import load_trainer
from keras_lord.trainers import CompileSettings


def weights_of(layer):
    return [to_numpy(variable).copy() for variable in layer.weights]


def moved(before, after):
    return max(float(np.abs(a - b).max()) for a, b in zip(before, after))


@pytest.fixture(scope="module")
def synthesis(tiny_data, tmp_path_factory):
    """A tiny trainer through stages 1 and 2, saved, then 2 epochs of synthesis (2 steps
    each) with the R1 penalty due on its first step only."""
    trainer = tiny_trainer(tiny_data)
    trainer.compile()
    trainer.fit(tiny_data.inputs(), batch_size=8, epochs=2, verbose=0)
    trainer.start_stage2()
    trainer.fit(tiny_data.inputs(), batch_size=8, epochs=1, verbose=0)
    stage2_path = tmp_path_factory.mktemp("synthesis") / "stage2.keras"
    trainer.save(stage2_path)
    before = {
        name: weights_of(part)
        for name, part in [
            ("generator", trainer.generator),
            ("class_encoder", trainer.class_encoder),
            ("content_encoder", trainer.content_encoder),
            ("tables", trainer.tables),
        ]
    }
    trainer.start_synthesis(r1_interval=100)
    before["discriminator"] = weights_of(trainer.discriminator)
    history = trainer.fit(tiny_data.inputs(), batch_size=8, epochs=2, verbose=0).history
    return trainer, before, history, stage2_path


def test_synthesis_trains_the_networks_and_the_discriminator_not_the_tables(synthesis):
    trainer, before, history, _ = synthesis
    assert trainer.stage == 3
    for name in ("generator", "class_encoder", "content_encoder", "discriminator"):
        part = trainer.discriminator if name == "discriminator" else getattr(trainer, name)
        assert moved(before[name], weights_of(part)) > 0, name
    assert moved(before["tables"], weights_of(trainer.tables)) == 0
    for key in ("reconstruction", "class_code_mse", "adversarial", "discriminator", "r1"):
        assert np.all(np.isfinite(history[key])), key
    # A critic that learns: its cross-entropy falls from chance (2 log 2).
    assert history["discriminator"][-1] < history["discriminator"][0] <= 2 * np.log(2) + 0.05
    expected = (
        history["reconstruction"][-1]
        + 10 * (history["class_code_mse"][-1] + history["content_code_mse"][-1])
        + 0.1 * history["adversarial"][-1]
    )
    np.testing.assert_allclose(history["loss"][-1], expected, rtol=1e-4)


def test_r1_penalty_runs_on_its_steps_only(synthesis):
    _, _, history, _ = synthesis
    # Due at the optimiser's step 0 of every 100: in the first epoch, not the second.
    assert history["r1"][0] > 0
    assert history["r1"][1] == 0


def test_r1_weight_changes_the_discriminator_update(synthesis, tiny_data):
    _, _, _, stage2_path = synthesis
    batch = tiny_data.subset(np.arange(8)).inputs()
    critics = {}
    for r1_weight in (0.0, 1e3):
        trainer = load_trainer(stage2_path)
        # TensorFlow runs one eager step faster than it compiles one; JAX the other way round.
        eager = keras.backend.backend() == "tensorflow"
        trainer.start_synthesis(r1_weight=r1_weight, r1_interval=1, run_eagerly=eager)
        trainer.fit(batch, batch_size=8, epochs=1, verbose=0)
        critics[r1_weight] = weights_of(trainer.discriminator)
    assert moved(critics[0.0], critics[1e3]) > 1e-6


def test_synthesis_trainer_reloads_in_a_fresh_process(synthesis, tiny_data, tmp_path):
    trainer, _, _, _ = synthesis
    trainer.save(tmp_path / "synthesis.keras")
    images = tiny_data.images[:4]
    np.save(tmp_path / "images.npy", images)
    expected_logits = to_numpy(trainer.discriminator(images.astype("float32") / 255))
    expected = to_numpy(trainer.translate(images, images[::-1]))
    run_python(
        "import numpy as np, keras\n"
        "from keras_lord.saving import load_trainer\n"
        "trainer = load_trainer('synthesis.keras')\n"
        "assert trainer.stage == 3, trainer.stage\n"
        "images = np.load('images.npy')\n"
        "logits = trainer.discriminator(images.astype('float32') / 255)\n"
        "translated = trainer.translate(images, images[::-1])\n"
        "np.save('logits.npy', keras.ops.convert_to_numpy(logits))\n"
        "np.save('translated.npy', keras.ops.convert_to_numpy(translated))\n"
        "assert trainer.optimizer.iterations.numpy() == 4, trainer.optimizer.iterations\n",
        cwd=tmp_path,
    )
    np.testing.assert_allclose(np.load(tmp_path / "logits.npy"), expected_logits, atol=1e-5)
    np.testing.assert_allclose(np.load(tmp_path / "translated.npy"), expected, atol=1e-5)


def test_synthesis_refuses_to_start_out_of_order(tiny_data):
    trainer = tiny_trainer(tiny_data)
    with pytest.raises(RuntimeError, match="start_stage2"):
        trainer.start_synthesis()
    trainer.compile()
    trainer.start_stage2()
    with pytest.raises(ValueError, match="shape"):
        trainer.start_synthesis(discriminator=LordDiscriminator((16, 16, 3), 4, 8))
    trainer.start_synthesis()
    with pytest.raises(RuntimeError, match="already in it"):
        trainer.start_synthesis()
    with pytest.raises(RuntimeError, match="already in stage 3"):
        trainer.start_stage2()


def test_synthesis_settings_and_runs_are_checked_before_work(tiny_data):
    with pytest.raises(ValueError, match="r1_interval"):
        CompileSettings(r1_interval=0)
    with pytest.raises(ValueError, match="adversarial_weight"):
        CompileSettings(adversarial_weight=-1.0)
    shape = tiny_data.image_shape
    with pytest.raises(ValueError, match="without `synthesis_epochs`"):
        check_synthesis(0, {"r1_weight": 2.0}, shape, {})
    with pytest.raises(ValueError, match="stage-3 options"):
        check_synthesis(1, {"r1_wieght": 2.0}, shape, {})
    with pytest.raises(ValueError, match="amortized"):
        check_synthesis(1, {}, shape, {"stage1_codes": "amortized"})
    with pytest.raises(ValueError, match="synthesis_epochs"):
        check_synthesis(-1, {}, shape, {})
    check_synthesis(2, {"adversarial_weight": 0.5}, shape, {})
    assert keras.backend.backend() in ("jax", "tensorflow")


def test_float16_scales_the_critics_loss_as_the_generators(tiny_data, tmp_path):
    """Under loss scaling the optimiser divides every gradient by the scale; the critic's
    loss must be multiplied by it too, or its step shrinks with the scale (below Adam's
    epsilon), while the scale itself must not change a step."""
    trainer = tiny_trainer(tiny_data, precision="float16")
    trainer.compile()
    trainer.fit(tiny_data.inputs(), batch_size=8, epochs=1, verbose=0)
    trainer.start_stage2()
    trainer.fit(tiny_data.inputs(), batch_size=8, epochs=1, verbose=0)
    trainer.save(tmp_path / "stage2.keras")
    batch = tiny_data.subset(np.arange(8)).inputs()
    steps = {}
    for scale in (1.0, 2.0**12):
        trainer = load_trainer(tmp_path / "stage2.keras")
        trainer.start_synthesis(r1_interval=100)
        trainer.optimizer.build(trainer.trainable_variables)
        trainer.optimizer.dynamic_scale.assign(scale)
        before = weights_of(trainer.discriminator)
        trainer.fit(batch, batch_size=8, epochs=1, verbose=0)
        after = weights_of(trainer.discriminator)
        steps[scale] = np.mean([np.abs(b - a).mean() for a, b in zip(before, after)])
    assert steps[1.0] > 0
    np.testing.assert_allclose(steps[2.0**12], steps[1.0], rtol=0.1)
