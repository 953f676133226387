"""What every per-dataset example shares: its flags, and prepare, train, evaluate, report.

An example script names its dataset, the loader's options, the paper's figures and a
sample writer for `--smoke`; `run_example` does the rest:

1. prepares the publisher's files once into `OUT/data` (`keras_lord.datasets.prepare`);
2. trains both stages in `OUT/run` with `keras_lord.training_run.train_run`, which resumes
   an interrupted run where it stopped and writes translation grids every epoch; a
   finished run is evaluated again without training;
3. evaluates the model on the held-out split with the paper's protocol for the dataset
   (`keras_lord.evaluation.evaluate_model`: content transfer where content labels exist,
   leakage probes both ways, reconstruction);
4. prints the figures next to the paper's and writes them to `OUT/figures.json`.
"""

import argparse
import functools
import os
import sys
import time

import numpy as np

# The paper's settings (the authors' PyTorch code where the paper is silent).
PAPER_SETTINGS = {
    "preset": "paper",
    "size": 64,
    "epochs": 200,
    "encoder_epochs": 200,
    "batch_size": 64,
    "latent_lr": 3e-3,
}
# `--smoke`: the same path on a tiny model and a few images, in seconds.
SMOKE_SETTINGS = {
    "preset": "small",
    "size": 32,
    "epochs": 1,
    "encoder_epochs": 1,
    "batch_size": 16,
    "latent_lr": 3e-2,
    "pairs": 32,
    "images": 96,
}
SMOKE_NETWORK = {"adain_dim": 16, "content_dim": 16, "class_dim": 16}
SMOKE_PERCEPTUAL_LAYERS = ("block1_conv2", "block2_conv2")


def parse_arguments(
    description: str,
    argv=None,
    faces: bool = False,
    styles: bool = False,
    ablations: bool = False,
) -> argparse.Namespace:
    """The flags every example takes.

    Args:
        description: the example's one-line description.
        argv: the arguments (default: the command line).
        faces: also take `--faces-dir` (CelebA's files, the faces domain of faces-to-anime).
        styles: also take `--styles-per-class` (domain translation with style clusters).
        ablations: also take `--stage1-codes` and `--content-regularization` (the paper's
            Table 3 ablations, `LordTrainer` arguments of the same names).

    Returns:
        The parsed arguments; unset numbers are `None` (the paper's or smoke's value).

    """
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--data-dir", help="the publisher's files, as `keras-lord prepare` reads")
    parser.add_argument("--out", required=True, help="where data, run, grids and figures go")
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="the same path end to end on a tiny subset and model (without --data-dir, on "
        "sample files written in the publisher's format)",
    )
    parser.add_argument("--preset", choices=["small", "paper"])
    parser.add_argument("--size", type=int, help="image side (paper: 64)")
    parser.add_argument("--epochs", type=int, help="stage-1 epochs (paper: 200)")
    parser.add_argument("--encoder-epochs", type=int, help="stage-2 epochs (paper: 200)")
    parser.add_argument("--batch-size", type=int, help="batch size (default 64)")
    parser.add_argument("--latent-lr", type=float, help="stage-1 table learning rate (3e-3)")
    parser.add_argument(
        "--precision",
        choices=["auto", "float32", "bfloat16"],
        default="auto",
        help="auto: bfloat16 on a GPU or a CPU with AVX512-BF16 or AMX under TensorFlow",
    )
    parser.add_argument("--pairs", type=int, default=None, help="content-transfer pairs (500)")
    parser.add_argument(
        "--inception-weights",
        help="also FID and KID of held-out translations: 'fid' (downloaded once) or the path "
        "of pt_inception-2015-12-05-6726825d.pth",
    )
    parser.add_argument(
        "--checkpoint-interval", type=float, default=60.0, help="least seconds between checkpoints"
    )
    parser.add_argument("--seed", type=int, default=0)
    if faces:
        parser.add_argument("--faces-dir", help="CelebA's files, the faces domain")
    if styles:
        parser.add_argument(
            "--styles-per-class",
            type=int,
            default=1,
            help="style clusters per domain (the paper's appendix A.8); 1: none",
        )
    if ablations:
        parser.add_argument(
            "--stage1-codes",
            choices=["tables", "semi_amortized", "amortized"],
            default="tables",
            help="where stage 1 takes the codes from (tables: LORD)",
        )
        parser.add_argument(
            "--content-regularization",
            choices=["noise", "kl", "none"],
            default="noise",
            help="how the content codes are regularised (noise: LORD)",
        )
    arguments = parser.parse_args(argv)
    if styles and arguments.styles_per_class < 1:
        parser.error("--styles-per-class must be at least 1")
    if not arguments.smoke and not arguments.data_dir:
        parser.error("--data-dir is required, except with --smoke")
    if faces and not arguments.smoke and not arguments.faces_dir:
        parser.error("--faces-dir is required, except with --smoke")
    return arguments


def style_clusters(train, styles_per_class: int, arguments) -> tuple:
    """The training images' joint (domain, style) labels, and the labeler, kept in `OUT`."""
    from keras_lord import StyleClusterLabeler

    path = os.path.join(arguments.out, f"styles_{styles_per_class}.npz")
    if os.path.exists(path):
        labeler = StyleClusterLabeler.load(path)
        joint = labeler.predict(train.images, train.class_ids)
    else:
        labeler = StyleClusterLabeler(styles_per_class=styles_per_class, seed=arguments.seed)
        joint = labeler.fit_predict(train.images, train.class_ids)
        labeler.save(path)
    print(
        f"Style clusters: {labeler.num_labels} (domain, style) labels from "
        f"{len(labeler.cluster_counts)} domains ({path})"
    )
    return labeler, joint


def style_grids(model, labeler, training_data, test, out: str, count: int = 6) -> dict:
    """Held-out images of each domain rendered in every style of the others, as PNG grids."""
    from keras_lord import StyleTranslator
    from keras_lord.utils.image_grid import save_png, translation_grid

    translator = StyleTranslator(model, labeler, training_data.images, training_data.class_ids)
    grids = {}
    for domain in sorted(labeler.cluster_counts):
        sources = test.images[test.class_ids != domain][:count]
        if not len(sources):
            continue
        styles = translator.styles_of(domain)
        # Column headers: a training image of each style.
        headers = np.stack(
            [training_data.images[training_data.class_ids == label][0] for label in styles]
        )
        path = os.path.join(out, f"styles_of_domain_{domain}.png")
        save_png(path, translation_grid(sources, headers, translator.translate(sources, domain)), 2)
        grids[str(domain)] = path
    return {"num_labels": int(labeler.num_labels), "grids": grids}


def settings_of(arguments) -> dict:
    """The run's settings: the flags given, else smoke's or the paper's values."""
    defaults = {**PAPER_SETTINGS, "pairs": 500, "images": None}
    if arguments.smoke:
        defaults.update(SMOKE_SETTINGS)
    return {
        key: getattr(arguments, key, None) if getattr(arguments, key, None) is not None else value
        for key, value in defaults.items()
    }


def ablation_settings(arguments) -> dict:
    """The `LordTrainer` arguments of the Table 3 ablation flags, where the example has them."""
    names = ("stage1_codes", "content_regularization")
    return {name: getattr(arguments, name) for name in names if hasattr(arguments, name)}


def smoke_rows(count: int, images: int, seed: int) -> np.ndarray:
    """The rows `--smoke` keeps of `count`: at most `images`, drawn at random."""
    if count <= images:
        return np.arange(count)
    return np.sort(np.random.default_rng(seed).permutation(count)[:images])


def read_extras(path) -> dict:
    """The per-image arrays of a prepared split besides the reference layout's own."""
    with np.load(path) as archive:
        return {
            key: archive[key]
            for key in archive.files
            if key not in ("imgs", "classes", "contents", "n_classes")
        }


def format_figures(figures: dict, paper: dict) -> str:
    """The measured figures next to the paper's, one row each."""
    rows = [f"{'figure':48s} {'keras-lord':>12s} {'paper':>8s}"]
    for name, value in figures.items():
        reference = paper.get(name)
        shown = "-" if reference is None else f"{reference:.3f}"
        measured = "n/a" if value is None else f"{value:.4f}"
        rows.append(f"{name:48s} {measured:>12s} {shown:>8s}")
    return "\n".join(rows)


def skipped_probes(report: dict) -> list:
    """Why a leakage probe has no figure (`n/a` in the table), one line per probe."""
    return [
        f"{direction} ({classifier}): {probe['skipped']}"
        for direction, probes in report["leakage"].items()
        for classifier, probe in probes.items()
        if "skipped" in probe
    ]


def transfer_figures(transfer: dict) -> dict:
    """The figures of a `content_transfer_error` report, next to its two baselines."""
    return {
        "content transfer LPIPS": transfer["model"]["lpips"],
        "content transfer MSE": transfer["model"]["mse"],
        "copy class image LPIPS (baseline)": transfer["copy_class"]["lpips"],
        "copy content image LPIPS (baseline)": transfer["copy_content"]["lpips"],
    }


def headline_figures(report: dict) -> dict:
    """The figures of the paper's tables, flattened from an `evaluate_model` report."""
    figures = {}
    transfer = report.get("content_transfer")
    if transfer:
        figures.update(transfer_figures(transfer))
    leakage = report["leakage"]
    for direction, label in (
        ("class_from_content", "class from content codes"),
        ("content_from_class", "content from class codes"),
    ):
        if direction in leakage:
            probe = leakage[direction]["mlp"]
            figures[f"leakage: {label} (accuracy)"] = probe["accuracy"]
            figures[f"leakage: {label} (chance)"] = probe["chance"]
    reconstruction = report["reconstruction"]
    figures["reconstruction MSE"] = reconstruction["mse"]
    if "lpips" in reconstruction:
        figures["reconstruction LPIPS"] = reconstruction["lpips"]
    if "image_quality" in report:
        figures["translations FID"] = report["image_quality"]["fid"]
        figures["translations KID"] = report["image_quality"]["kid"]
    return figures


def source_folder(arguments, given, name: str, write_sample) -> str:
    """`given`, or under `--smoke` without it the sample files, written once to `OUT/name`."""
    if given is not None or not arguments.smoke:
        return given
    marker = os.path.join(arguments.out, f"{name}.txt")
    # Written once: rewritten files would look like another source to `prepare`.
    if not os.path.exists(marker):
        sample_path = write_sample(os.path.join(arguments.out, name))
        with open(marker, "w") as file:
            file.write(sample_path)
    with open(marker) as file:
        return file.read()


def prepare_split(
    dataset: str, data_dir, folder, size: int, options: dict, run_folder: str
) -> tuple:
    """Prepares `dataset` once into `folder`; returns `(train, test, test_extras)`.

    Where `folder` was prepared from other files or options (say the landmarks were added),
    it is prepared again unless `run_folder` holds a training on the old data.
    """
    from keras_lord.data import LordData
    from keras_lord.datasets.prepare import PreparedOtherwiseError, prepare_dataset
    from keras_lord.datasets.splits import TEST_FILE, TRAIN_FILE

    try:
        prepare_dataset(dataset, data_dir, folder, size=size, **options)
    except PreparedOtherwiseError:
        if os.path.exists(run_folder):
            raise SystemExit(
                f"{folder} was prepared from other files or options, and {run_folder} holds "
                "a training on that data: choose another --out, or remove both folders to "
                "start over."
            ) from None
        print(f"{folder} was prepared from other files or options: preparing it again")
        prepare_dataset(dataset, data_dir, folder, size=size, force=True, **options)
    return (
        LordData.from_npz(os.path.join(folder, TRAIN_FILE)),
        LordData.from_npz(os.path.join(folder, TEST_FILE)),
        read_extras(os.path.join(folder, TEST_FILE)),
    )


def check_extras(dataset: str, extras: dict, required: dict) -> None:
    """Stops before training when the prepared data lacks an array the evaluation needs."""
    missing = {name: source for name, source in required.items() if name not in extras}
    if missing:
        names = ", ".join(missing)
        sources = ", ".join(missing.values())
        raise SystemExit(
            f"The prepared {dataset} has no {names}, which its evaluation needs: put "
            f"{sources} into --data-dir (`keras-lord prepare` reads it when present) and "
            "run again; the data is prepared again, nothing has been trained yet."
        )


def example_main(*arguments, **options) -> None:
    """`run_example` as a script's main: an error the user can fix is one line, exit status 2.

    Args:
        *arguments: `run_example`'s.
        **options: `run_example`'s.

    """
    from keras_lord.cli import run_reporting_errors

    work = functools.partial(run_example, *arguments, **options)
    sys.exit(run_reporting_errors(work, os.path.basename(sys.argv[0])))


def run_example(
    dataset: str,
    arguments: argparse.Namespace,
    write_sample,
    paper_figures: dict,
    loader_options: dict | None = None,
    smoke_loader_options: dict | None = None,
    truths_in_training: bool = False,
    extra_protocol=None,
    required_extras: dict | None = None,
    prepare=None,
) -> dict:
    """Prepares, trains, evaluates and reports one dataset (see the module docstring).

    Args:
        dataset: a `keras_lord.datasets.LOADERS` name.
        arguments: `parse_arguments`'s result.
        write_sample: `write_sample(folder) -> path` writes sample files in the publisher's
            format, for `--smoke` without `--data-dir`.
        paper_figures: the paper's figures, keyed as `headline_figures`'s.
        loader_options: the loader's options besides `size`.
        smoke_loader_options: replacements of `loader_options` under `--smoke`.
        truths_in_training: the held-out images are of training classes, so the ground
            truth of a translation is looked up among all images (training and held-out).
        extra_protocol: `extra_protocol(model, train, test, test_extras, pairs, seed) ->
            (report, figures)`: the dataset's own measurements beyond `evaluate_model`'s,
            with the held-out split's extra arrays (e.g. CelebA's landmarks).
        required_extras: `{array name: the publisher's file that holds it}`: extra arrays
            `extra_protocol` needs, checked once the data is prepared, before training.
        prepare: `prepare(arguments, settings, loader_options, run_folder) -> (train,
            test, test_extras)` in place of preparing `dataset` from `--data-dir` alone
            (e.g. faces-to-anime, from two datasets).

    Returns:
        The report written to `OUT/figures.json`.

    """
    from keras_lord.data import LordData
    from keras_lord.evaluation import MIN_CODES, evaluate_model
    from keras_lord.saving import MODEL_FILE, load
    from keras_lord.training_run import train_run
    from keras_lord.utils.files import write_json

    settings = settings_of(arguments)
    run_folder = os.path.join(arguments.out, "run")
    options = dict(loader_options or {})
    if arguments.smoke:
        options.update(smoke_loader_options or {})
    if prepare is None:
        data_dir = source_folder(arguments, arguments.data_dir, "sample_source", write_sample)
        data_folder = os.path.join(arguments.out, "data")
        train, test, test_extras = prepare_split(
            dataset, data_dir, data_folder, settings["size"], options, run_folder
        )
    else:
        train, test, test_extras = prepare(arguments, settings, options, run_folder)
    check_extras(dataset, test_extras, required_extras or {})
    prepared = (train, test)
    if settings["images"]:
        train = train.subset(smoke_rows(train.num_samples, settings["images"], arguments.seed))
        kept = smoke_rows(test.num_samples, settings["images"], arguments.seed)
        test = test.subset(kept)
        test_extras = {key: value[kept] for key, value in test_extras.items()}
    held_out_classes = len(np.unique(test.class_ids))
    if held_out_classes < 2 or test.num_samples < MIN_CODES:
        # Every protocol compares classes, and a probe or regression needs MIN_CODES codes:
        # found now, not after the training.
        raise SystemExit(
            f"The held-out split of {dataset} holds {test.num_samples} images of "
            f"{held_out_classes} class{'es' if held_out_classes > 1 else ''}; the "
            f"evaluation needs at least {MIN_CODES} images of 2 classes. Give --data-dir "
            "more of the publisher's files; nothing has been trained yet."
        )
    model_path = os.path.join(run_folder, MODEL_FILE)
    styles_per_class = getattr(arguments, "styles_per_class", 1)
    labeler, training_data = None, train
    if styles_per_class > 1:
        labeler, joint = style_clusters(train, styles_per_class, arguments)
        training_data = LordData(
            train.images, joint, labeler.num_labels, content_ids=train.content_ids
        )
    start = time.perf_counter()
    if os.path.exists(model_path):
        print(f"{run_folder} holds a finished run: evaluating it")
        model = load(model_path)
    else:
        network = SMOKE_NETWORK if arguments.smoke else {}
        model = train_run(
            training_data,
            run_folder,
            preset=settings["preset"],
            epochs=settings["epochs"],
            encoder_epochs=settings["encoder_epochs"],
            batch_size=settings["batch_size"],
            latent_learning_rate=settings["latent_lr"],
            perceptual_layers=SMOKE_PERCEPTUAL_LAYERS if arguments.smoke else None,
            precision=arguments.precision,
            seed=arguments.seed,
            checkpoint_interval_seconds=arguments.checkpoint_interval,
            **ablation_settings(arguments),
            **network,
        ).model
    train_seconds = time.perf_counter() - start
    truths = None
    if truths_in_training:
        truths = LordData(
            images=np.concatenate([split.images for split in prepared]),
            class_ids=np.concatenate([split.class_ids for split in prepared]),
            num_classes=train.num_classes,
            content_ids=np.concatenate([split.content_ids for split in prepared]),
        )
    report = evaluate_model(
        model,
        test,
        num_pairs=settings["pairs"],
        seed=arguments.seed,
        truths=truths,
        inception_weights=arguments.inception_weights,
    )
    figures = headline_figures(report)
    if extra_protocol is not None:
        extra_report, extra_figures = extra_protocol(
            model, train, test, test_extras, settings["pairs"], arguments.seed
        )
        report.update(extra_report)
        figures.update(extra_figures)
    if labeler is not None:
        report["styles"] = style_grids(model, labeler, training_data, test, arguments.out)
    print(f"\n{dataset}: {test.num_samples} held-out images")
    print(format_figures(figures, paper_figures))
    for line in skipped_probes(report):
        print(f"Not measured, {line}")
    result = {
        "dataset": dataset,
        "smoke": bool(arguments.smoke),
        "settings": {**settings, **ablation_settings(arguments)},
        "train_seconds": round(train_seconds, 1),
        "figures": figures,
        "paper": paper_figures,
        "report": report,
    }
    path = os.path.join(arguments.out, "figures.json")
    write_json(path, result)
    print(f"Wrote {path}")
    return result
