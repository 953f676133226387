import keras
import numpy as np
import pytest
from conftest import run_python, tiny_trainer, to_numpy

from keras_lord.data import LordData, SyntheticObjects


@pytest.fixture(scope="module")
def objects():
    return SyntheticObjects(num_classes=8, num_azimuths=8, num_elevations=1, seed=1)


@pytest.fixture(scope="module")
def two_stage(objects, tmp_path_factory):
    """A tiny LORD trained through both stages on 6 objects; 2 objects held out. Its
    content-transfer error is followed on both every 5 epochs (`two_stage.evaluations`)."""
    from keras_lord.callbacks import TransferEvaluation

    data = objects.data()
    train, test = data.split_classes([6, 7])
    log_path = tmp_path_factory.mktemp("transfer") / "transfer_log.csv"
    evaluations = {
        "train": TransferEvaluation(train, 5, 64, training_rows=True, lpips_network=None),
        "test": TransferEvaluation(test, 5, 64, lpips_network=None, log_path=log_path),
    }
    callbacks = list(evaluations.values())
    trainer = tiny_trainer(train, num_classes=8, content_dim=32, class_dim=32)
    trainer.compile()
    trainer.fit(train.inputs(), batch_size=8, epochs=20, verbose=0, callbacks=callbacks)
    trainer.start_stage2()
    history = trainer.fit(
        train.inputs(), batch_size=8, epochs=20, verbose=0, callbacks=callbacks
    ).history
    TWO_STAGE_EVALUATIONS.update(evaluations, log_path=log_path)
    return trainer, train, test, history


# The `TransferEvaluation`s of `two_stage`, and the held-out one's log.
TWO_STAGE_EVALUATIONS = {}


def test_stage2_losses_fall(two_stage):
    _, _, _, history = two_stage
    for key in ("reconstruction", "class_code_mse", "content_code_mse", "loss"):
        assert history[key][-1] < history[key][0], (key, history[key][0], history[key][-1])
    assert "content_penalty" not in history


def test_stage2_freezes_tables_and_trains_encoders(objects):
    train = objects.data().subset(np.arange(16))
    trainer = tiny_trainer(train)
    trainer.compile()
    assert not trainer.class_encoder.trainable and trainer.objective.trains_tables
    trainer.start_stage2()
    assert trainer.stage == 2
    assert trainer.get_compile_config()["learning_rate"] == 3e-4  # docs/quality.md
    assert trainer.class_encoder.trainable and not trainer.objective.trains_tables
    assert not any(table.trainable for table in trainer.tables.variables_of_tables)
    tables = to_numpy(trainer.content_embedding.embeddings).copy()
    encoder = to_numpy(trainer.content_encoder.weights[0]).copy()
    trainer.fit(train.inputs(), batch_size=8, epochs=1, verbose=0)
    np.testing.assert_array_equal(to_numpy(trainer.content_embedding.embeddings), tables)
    assert not np.array_equal(to_numpy(trainer.content_encoder.weights[0]), encoder)
    assert trainer.learning_rates()["network_adam"] == pytest.approx(1e-5, rel=1e-3)
    with pytest.raises(RuntimeError, match="already in stage 2"):
        trainer.start_stage2()


@pytest.mark.parametrize("factor", [0.0, 0.1])
def test_generator_rate_factor(objects, factor):
    # Adam's first step moves a weight with a gradient by about its learning rate: the
    # generator's largest move is the encoders' times the factor (none when frozen).
    train = objects.data().subset(np.arange(8))
    trainer = tiny_trainer(train)
    trainer.compile()
    trainer.start_stage2(generator_rate_factor=factor)
    assert trainer.model.generator.trainable == (factor > 0)
    before = [to_numpy(w).copy() for w in trainer.model.generator.trainable_weights] or [
        to_numpy(w).copy() for w in trainer.model.generator.weights
    ]
    encoder = to_numpy(trainer.class_encoder.weights[0]).copy()
    trainer.fit(train.inputs(), batch_size=8, epochs=1, verbose=0)
    after = trainer.model.generator.trainable_weights or trainer.model.generator.weights
    moved = max(np.abs(to_numpy(w) - b).max() for w, b in zip(after, before))
    encoder_moved = np.abs(to_numpy(trainer.class_encoder.weights[0]) - encoder).max()
    assert encoder_moved == pytest.approx(3e-4, rel=0.05)
    assert moved == pytest.approx(3e-4 * factor, rel=0.05, abs=1e-12)


def test_encoders_generalise_to_held_out_objects(two_stage, objects):
    trainer, _, test, _ = two_stage
    rng = np.random.default_rng(0)
    first = rng.integers(0, test.num_samples, 64)
    second = rng.integers(0, test.num_samples, 64)
    keep = test.class_ids[first] != test.class_ids[second]
    first, second = first[keep], second[keep]
    truth = objects.render(test.class_ids[first], test.content_ids[second]) / 255.0
    output = trainer.translate(test.images[first], test.images[second])
    lord = np.mean((output - truth) ** 2)
    copy_content = np.mean((test.float_images()[second] - truth) ** 2)
    assert output.shape == (len(first),) + test.image_shape
    assert lord < copy_content, f"LORD {lord:.4f} vs copying the content image {copy_content:.4f}"


def test_inference_api_shapes_and_errors(two_stage):
    trainer, _, test, _ = two_stage
    assert trainer.encode_class(test.images[:5]).shape == (5, 32)
    assert trainer.encode_content(test.float_images()[:3]).shape == (3, 32)
    # One class image against many content images broadcasts.
    assert trainer.translate(test.images[:1], test.images[:4]).shape == (4, 32, 32, 3)
    with pytest.raises(ValueError, match="single image"):
        trainer.translate(test.images[:2], test.images[:3])
    with pytest.raises(ValueError, match="Resize"):
        trainer.encode_class(np.zeros((2, 16, 16, 3), "uint8"))
    with pytest.raises(ValueError, match="divide by 255"):
        trainer.translate(test.images[:1] * 1.0, test.images[:1])
    with pytest.raises(ValueError, match="method"):
        trainer.translate(test.images[:1], test.images[:1], method="magic")


def test_encoders_need_stage2(objects):
    data = objects.data().subset(np.arange(8))
    trainer = tiny_trainer(data)
    with pytest.raises(RuntimeError, match="optimize_codes"):
        trainer.encode_class(data.images)


def test_test_time_optimisation_fits_new_images(two_stage):
    trainer, _, test, _ = two_stage
    images = test.float_images()[:6]
    generator_weights = [to_numpy(w).copy() for w in trainer.generator.weights]
    class_codes, content_codes = trainer.optimize_codes(
        images, class_groups=[0, 0, 0, 1, 1, 1], steps=1, batch_size=6
    )
    untrained = np.mean((trainer.decode(class_codes, content_codes) - images) ** 2)
    class_codes, content_codes = trainer.optimize_codes(
        images, class_groups=[0, 0, 0, 1, 1, 1], steps=60, batch_size=6
    )
    fitted = np.mean((trainer.decode(class_codes, content_codes) - images) ** 2)
    assert fitted < 0.8 * untrained, (untrained, fitted)
    np.testing.assert_array_equal(class_codes[0], class_codes[2])  # shared within a group
    assert not np.array_equal(class_codes[0], class_codes[3])
    for before, after in zip(generator_weights, trainer.generator.weights):
        np.testing.assert_array_equal(before, to_numpy(after))
    assert trainer.generator.trainable, "the generator's flag must be restored"
    output = trainer.translate(images[:2], images[3:5], method="optimize", steps=5)
    assert output.shape == (2, 32, 32, 3)


def test_refinement_starts_at_the_encoder_and_improves_reconstruction(two_stage):
    trainer, _, test, _ = two_stage
    images = test.float_images()[::2][:6]
    encoded = trainer.encode_class(images)
    content_codes = trainer.encode_content(images)
    generator_weights = [to_numpy(w).copy() for w in trainer.generator.weights]

    def reconstruction_error(class_codes):
        # What the refinement minimises: the trainer's perceptual loss.
        decoded = trainer.decode(class_codes, content_codes)
        return float(np.mean(to_numpy(trainer.perceptual_loss(images, decoded))))

    # At a vanishing rate the refined codes stay the encoder's start.
    unmoved = trainer.refine_class_codes(images, steps=1, learning_rate=1e-9)
    np.testing.assert_allclose(unmoved, encoded, atol=1e-5)
    refined = trainer.refine_class_codes(images, steps=30, learning_rate=1e-2)
    assert reconstruction_error(refined) < 0.995 * reconstruction_error(encoded)
    for before, after in zip(generator_weights, trainer.generator.weights):
        np.testing.assert_array_equal(before, to_numpy(after))

    groups = test.class_ids[::2][:6]  # four images of one object, two of the other
    shared = trainer.refine_class_codes(images, class_groups=groups, steps=2)
    np.testing.assert_array_equal(shared[0], shared[3])
    assert not np.array_equal(shared[0], shared[4])
    output = trainer.translate(images[:2], images[3:5], method="refine", steps=2)
    assert output.shape == (2, 32, 32, 3)
    # A class image repeated across pairs is refined once: one code for all its pairs.
    repeated = trainer.translate(images[[0, 1, 0]], images[[3, 3, 3]], method="refine", steps=2)
    # XLA on an AVX2-only CPU may round rows of one batch apart by ~1e-7.
    np.testing.assert_allclose(repeated[0], repeated[2], rtol=0, atol=1e-6)
    assert not np.array_equal(repeated[0], repeated[1])
    with pytest.raises(ValueError, match="one id per image"):
        trainer.refine_class_codes(images, class_groups=[0, 1])


def test_stage2_model_saves_and_loads_in_a_fresh_process(two_stage, tmp_path):
    trainer, _, test, _ = two_stage
    path = tmp_path / "stage2.keras"
    trainer.save(path)
    np.save(tmp_path / "a.npy", test.images[:4])
    np.save(tmp_path / "b.npy", test.images[4:8])
    expected = trainer.translate(test.images[:4], test.images[4:8])
    run_python(
        "import numpy as np, keras_lord\n"
        f"model = keras_lord.load({str(path)!r})\n"
        "assert isinstance(model, keras_lord.LordModel) and model.encoders_trained\n"
        "out = model.translate(np.load('a.npy'), np.load('b.npy'))\n"
        "np.save('out.npy', out)\n",
        cwd=tmp_path,
    )
    # Equal up to float rounding: other models ran in this process and oneDNN may pick
    # other kernels for them.
    # The child imports keras_lord before TensorFlow and so may run oneDNN's kernels where
    # this process runs Eigen's (conftest imports TensorFlow first): they round ~1e-6 apart.
    np.testing.assert_allclose(np.load(tmp_path / "out.npy"), expected, atol=1e-5)
    loaded = keras.saving.load_model(path)
    history = loaded.fit(test.inputs(), batch_size=8, epochs=1, verbose=0).history
    assert np.isfinite(history["loss"][0])


def test_evaluate_model_on_held_out_objects(two_stage):
    from keras_lord.backbones.inception_v3 import fid_inception
    from keras_lord.evaluation import evaluate_model

    trainer, _, test, _ = two_stage
    # FID's Inception with random weights: the published ones are a download.
    with pytest.warns(UserWarning, match="random weights"):
        inception = fid_inception(None)
    report = evaluate_model(
        trainer, test, num_pairs=40, lpips_network=None, inception_weights=inception
    )
    quality = report["image_quality"]
    assert quality["real_images"] == test.num_samples and 10 < quality["generated_images"] <= 40
    assert quality["fid"] > 0 and np.isfinite(quality["kid"])
    transfer = report["content_transfer"]
    assert transfer["pairs"] > 10
    assert transfer["model"]["mse"] < transfer["copy_content"]["mse"]
    assert report["reconstruction"]["mse"] < transfer["copy_content"]["mse"]
    assert set(report["leakage"]) == {"class_from_content", "content_from_class"}


def test_transfer_evaluation_follows_both_stages(two_stage):
    from keras_lord.evaluation import content_transfer_error

    trainer, train, test, _ = two_stage
    seen, unseen = TWO_STAGE_EVALUATIONS["train"], TWO_STAGE_EVALUATIONS["test"]
    assert [(row["stage"], row["epoch"]) for row in seen.history] == [
        (stage, epoch) for stage in (1, 2) for epoch in (5, 10, 15, 20)
    ]
    # Held-out objects have no table rows: they are scored through the encoders only.
    assert [(row["stage"], row["epoch"]) for row in unseen.history] == [
        (2, epoch) for epoch in (5, 10, 15, 20)
    ]
    times = [row["train_seconds"] for row in seen.history]
    assert times == sorted(times) and times[0] > 0
    stage1 = [row["mse"] for row in seen.history if row["stage"] == 1]
    assert stage1[-1] < stage1[0], f"stage 1 learns to translate its own objects: {stage1}"
    # The callback's score is the paper's protocol on the same pairs.
    reference = content_transfer_error(trainer.translate, test, 64, lpips_network=None)
    np.testing.assert_allclose(unseen.score()["mse"], reference["model"]["mse"], rtol=1e-4)
    assert unseen.baselines["copy_class"] == reference["copy_class"]
    logged = TWO_STAGE_EVALUATIONS["log_path"].read_text().splitlines()
    assert logged[0] == "stage,epoch,train_seconds,mse,lpips" and len(logged) == 5


def test_transfer_evaluation_logs_an_epoch_once(two_stage, tmp_path):
    # Last in this module: it trains the shared model one epoch further.
    from keras_lord.callbacks import TransferEvaluation

    trainer, train, test, _ = two_stage
    log_path = tmp_path / "log.csv"
    evaluation = TransferEvaluation(test, 1, 16, lpips_network=None, log_path=log_path)
    for _ in range(2):  # epoch 1 trained again, as after a resume
        trainer.fit(train.inputs(), batch_size=64, epochs=1, verbose=0, callbacks=[evaluation])
    assert len(log_path.read_text().splitlines()) == 2 and len(evaluation.history) == 2
    with pytest.raises(ValueError, match="`every` must be a positive integer"):
        TransferEvaluation(test, 0)
    with pytest.raises(ValueError, match="content labels"):
        TransferEvaluation(LordData(test.images, test.class_ids, test.num_classes), 1)


@pytest.fixture(scope="module")
def stage1_file(objects, tmp_path_factory):
    """A tiny stage 1 trained for 10 epochs on 24 images, saved, and those images."""
    train = objects.data().subset(np.arange(0, 48, 2))
    trainer = tiny_trainer(train)
    trainer.compile(latent_learning_rate=3e-2)
    trainer.fit(train.inputs(), batch_size=8, epochs=10, verbose=0)
    stage1 = tmp_path_factory.mktemp("stage1") / "stage1.keras"
    trainer.save(stage1)
    return stage1, train


def test_encoders_learn_codes_of_generated_mixes(stage1_file, tmp_path):
    from keras_lord.saving import load_trainer

    stage1, train = stage1_file
    trainer = load_trainer(stage1)

    # Mixes of the stage-1 codes the encoders never saw as images: class of one image,
    # content of another.
    class_codes = trainer.tables.rows("class", train.class_ids)
    content_codes = np.roll(trainer.tables.table("content"), 5, axis=0)
    mixes = trainer.decode(class_codes, content_codes)

    def error_on_mixes(weight):
        candidate = load_trainer(stage1)
        candidate.start_stage2(mixed_code_weight=weight)
        history = candidate.fit(train.inputs(), batch_size=8, epochs=8, verbose=0).history
        predicted = candidate.encode_class(mixes), candidate.encode_content(mixes)
        error = np.mean((predicted[0] - class_codes) ** 2) + np.mean(
            (predicted[1] - content_codes) ** 2
        )
        return error, history, candidate

    plain, plain_history, _ = error_on_mixes(0.0)
    mixed, mixed_history, candidate = error_on_mixes(3.0)
    assert "mixed_code_mse" not in plain_history
    assert mixed_history["mixed_code_mse"][-1] < mixed_history["mixed_code_mse"][0]
    assert mixed < 0.9 * plain, (mixed, plain)
    assert candidate.get_compile_config()["mixed_code_weight"] == 3.0
    path = tmp_path / "stage2.keras"
    candidate.save(path)
    assert load_trainer(path).get_compile_config()["mixed_code_weight"] == 3.0


def test_encoder_shift_and_content_noise(stage1_file, tmp_path):
    from keras_lord.saving import load_trainer

    stage1, train = stage1_file
    for bad, match in (
        ({"encoder_shift": -1}, "encoder_shift"),
        ({"encoder_shift": 32}, "encoder_shift"),
        ({"encoder_shift": 1.5}, "encoder_shift"),
        ({"content_code_noise": -0.1}, "content_code_noise"),
    ):
        with pytest.raises(ValueError, match=match):
            load_trainer(stage1).start_stage2(**bad)

    def stage2(**options):
        candidate = load_trainer(stage1)
        candidate.start_stage2(**options)
        history = candidate.fit(train.inputs(), batch_size=8, epochs=3, verbose=0).history
        return candidate, history

    candidate, history = stage2(encoder_shift=2, content_code_noise=0.5)
    assert history["reconstruction"][-1] < history["reconstruction"][0], history
    batch = {"image": train.images[:8]}
    # In training the generator sees noisy content codes; the returned codes are the
    # encoders' noise-free ones of the shifted images, so they differ from inference's.
    training_outputs = [to_numpy(candidate(batch, training=True)["image"]) for _ in range(2)]
    assert not np.allclose(*training_outputs)
    inference = candidate(batch)
    np.testing.assert_allclose(
        to_numpy(inference["content_code"]), candidate.encode_content(train.images[:8]), atol=1e-5
    )
    # The draws come from a saved, seeded stream: the same run twice gives the same weights.
    repeat, _ = stage2(encoder_shift=2, content_code_noise=0.5)
    plain, _ = stage2()
    for ours, theirs in zip(candidate.model.weights, repeat.model.weights):
        np.testing.assert_array_equal(to_numpy(ours), to_numpy(theirs))
    assert not np.array_equal(
        to_numpy(candidate.content_encoder.weights[0]), to_numpy(plain.content_encoder.weights[0])
    )
    path = tmp_path / "stage2.keras"
    candidate.save(path)
    config = load_trainer(path).get_compile_config()
    assert (config["encoder_shift"], config["content_code_noise"]) == (2, 0.5)


def _mean_squared_correlation(codes, other_codes):
    def standardised(values):
        centred = values - values.mean(axis=0)
        return centred / np.sqrt((centred**2).mean(axis=0) + 1e-6)

    return np.mean((standardised(codes).T @ standardised(other_codes) / len(codes)) ** 2)


def test_class_code_sharing(stage1_file):
    from keras_lord.saving import load_trainer

    stage1, train = stage1_file
    for bad in (-0.1, 1.5):
        with pytest.raises(ValueError, match="class_code_sharing"):
            load_trainer(stage1).start_stage2(class_code_sharing=bad)
    trainer = load_trainer(stage1)
    trainer.start_stage2(class_code_sharing=1.0)
    # Images 0 - 3 of one class, 4 - 5 of another: in training the generator renders each
    # from its class's mean code in the batch; the returned codes stay each image's own.
    inputs = {key: value[:6] for key, value in train.inputs().items()}
    assert len(set(inputs["class_id"][:4])) == 1 and inputs["class_id"][4] != inputs["class_id"][0]
    outputs = trainer(inputs, training=True)
    own = trainer.encode_class(inputs["image"])
    np.testing.assert_allclose(to_numpy(outputs["class_code"]), own, atol=1e-5)
    means = np.concatenate(
        [own[:4].mean(0, keepdims=True).repeat(4, 0), own[4:].mean(0)[None].repeat(2, 0)]
    )
    expected = trainer.decode(means, trainer.encode_content(inputs["image"]))
    np.testing.assert_allclose(to_numpy(outputs["image"]), expected, atol=1e-4)
    # The images' own class codes differ within a class: the means are not a no-op.
    assert np.abs(own - means).max() > 1e-3
    history = trainer.fit(train.inputs(), batch_size=8, epochs=3, verbose=0).history
    assert history["reconstruction"][-1] < history["reconstruction"][0], history


def test_class_content_decorrelation(stage1_file, tmp_path):
    from keras_lord.saving import load_trainer

    stage1, train = stage1_file
    with pytest.raises(ValueError, match="class_content_decorrelation"):
        load_trainer(stage1).start_stage2(class_content_decorrelation=-1.0)
    content_codes = load_trainer(stage1).tables.rows("content", np.arange(train.num_samples))

    def stage2(weight):
        candidate = load_trainer(stage1)
        candidate.start_stage2(class_content_decorrelation=weight)
        history = candidate.fit(train.inputs(), batch_size=24, epochs=10, verbose=0).history
        codes = candidate.encode_class(train.images)
        return candidate, history, _mean_squared_correlation(codes, content_codes)

    _, plain_history, plain = stage2(0.0)
    candidate, history, penalised = stage2(30.0)
    assert "class_content_correlation" not in plain_history
    correlations = history["class_content_correlation"]
    assert correlations[-1] < correlations[0], correlations
    assert penalised < 0.8 * plain, (penalised, plain)
    path = tmp_path / "stage2.keras"
    candidate.save(path)
    assert load_trainer(path).get_compile_config()["class_content_decorrelation"] == 30.0
