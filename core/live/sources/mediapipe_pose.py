"""Webcam or video file -> MediaPipe PoseLandmarker (up to two people, 33 landmarks each) -> NTU-25 skeleton frames
with each person in camera space and in a stable body slot."""

import contextlib
import logging
import os
import threading
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from core.live.sources.base import Frame, Pacer, Source, SourceError, empty_skeleton
from core.live.sources.native_stderr import filtered_native_stderr
from core.live.sources.pose_models import DEFAULT_POSE_MODEL, pose_model_path, pose_model_problem
from core.live.sources.pose_tracking import BodySlots, image_centre, place_in_camera
from core.live.sources.video_check import (
    camera_not_found_message,
    is_truncated,
    truncated_video_message,
    unopenable_video_message,
)
from core.skeleton.clip import MAX_BODIES
from core.skeleton.joint_maps import to_ntu25

log = logging.getLogger(__name__)

NUM_LANDMARKS = 33
FALLBACK_FPS = 30.0  # when a file does not state its frame rate
# The person detector's threshold (MediaPipe's default 0.5). A second, smaller person beside a first one scores
# lower: on two real videos side by side 0.3 found the second person after 34 frames instead of 79, and on the
# 2,565 frames of the single-person clips (tai chi, webcam_arms) it found no second body at either threshold.
MIN_DETECTION_CONFIDENCE = 0.3


def landmarks_to_skeleton(world: np.ndarray, visibility: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """MediaPipe world landmarks (33, 3) metres (x right, y down, z away) and visibility (33,) ->
    joints (1, 25, 3) float32 in NTU axes and valid (1, 25) bool."""
    assert world.shape == (NUM_LANDMARKS, 3), f"MediaPipe world landmarks must be (33, 3), got {world.shape}"
    joints, valid = to_ntu25(world[None].astype(np.float32), "mediapipe33", confidence=visibility[None])
    return np.asarray(joints, np.float32), np.asarray(valid, bool)


def landmarks_to_image_points(normalised_xy: np.ndarray, image_shape) -> np.ndarray:
    """MediaPipe image landmarks (33, 2), x and y as fractions of the width and height -> (1, 25, 2) float32
    pixels per NTU joint, synthesised joints by the same (affine) rules as the 3D ones."""
    xyz = np.concatenate([normalised_xy, np.zeros((NUM_LANDMARKS, 1), normalised_xy.dtype)], axis=1)
    ntu, _ = to_ntu25(xyz[None], "mediapipe33")
    height, width = image_shape[:2]
    return (-ntu[..., :2] * (width, height)).astype(np.float32)  # to_ntu25 turns x and y round; undo that


class _TaskPose:
    """The Tasks PoseLandmarker in VIDEO mode (it tracks each person from the previous frame) on a .task file."""

    def __init__(self, model_file: Path, num_poses: int):
        # mediapipe imported on use: importing this module stays light
        import mediapipe as mp
        from mediapipe.tasks.python import BaseOptions, vision

        self._mp = mp
        options = vision.PoseLandmarkerOptions(base_options=BaseOptions(model_asset_path=str(model_file)),
                                               running_mode=vision.RunningMode.VIDEO, num_poses=num_poses,
                                               min_pose_detection_confidence=MIN_DETECTION_CONFIDENCE)
        self._landmarker = vision.PoseLandmarker.create_from_options(options)
        self._last_ms = -1

    def __call__(self, rgb: np.ndarray, timestamp_ms: int) -> list[np.ndarray]:
        """One (33, 6) float32 array per person found: world x, y, z (metres, centred between the hips),
        visibility, image x, y (fractions of the width and height)."""
        timestamp_ms = max(timestamp_ms, self._last_ms + 1)  # VIDEO mode needs strictly increasing timestamps
        self._last_ms = timestamp_ms
        image = self._mp.Image(image_format=self._mp.ImageFormat.SRGB, data=np.ascontiguousarray(rgb))
        result = self._landmarker.detect_for_video(image, timestamp_ms)
        return [np.array([(lm.x, lm.y, lm.z, lm.visibility if lm.visibility is not None else 1.0, im.x, im.y)
                          for lm, im in zip(world, marks)], np.float32)
                for world, marks in zip(result.pose_world_landmarks, result.pose_landmarks)]

    def close(self):
        self._landmarker.close()


POSE_NICENESS = 10  # pose threads yield to the scorer: a late frame costs less than a late result


def _lower_this_threads_priority() -> None:
    """Run the calling thread (and the threads it starts, e.g. MediaPipe's graph) at a lower priority, where the
    OS has per-thread priorities (Linux); elsewhere, or when refused, leave it."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), POSE_NICENESS)
    except (AttributeError, OSError):
        pass


def default_pose_workers() -> int:
    """Two pose estimators when the machine has two cores or more: MediaPipe releases the GIL while it works,
    so alternating frames between two of them nearly doubles the frames per second."""
    return 2 if (os.cpu_count() or 1) >= 2 else 1


class MediaPipeSource(Source):
    """Frames from a camera (int index) or a video file through the MediaPipe PoseLandmarker.

    pose_model: "lite", "full" (models/pose/) or a PoseLandmarker .task file. Up to num_poses people per frame
    (NTU's two body slots): each is placed in camera space from its image landmarks (pose_tracking) and keeps its
    slot by image position from frame to frame; Frame.joints has as many rows as the highest slot in use, a slot
    whose person is missing in this frame all-invalid. Per-joint validity: MediaPipe's visibility >= 0.5.
    The image is never mirrored before pose estimation: a mirrored skeleton is a different action.
    Files: timestamps from the file's fps; with realtime=True frames are paced to that fps and frames that
    are already late are skipped (counted in dropped_frames). Cameras: time.monotonic() timestamps.
    pose_workers > 1 runs that many estimators, each on its own thread and every n-th frame (each one tracks
    the person at fps / n), and returns the frames in order: a frame is grabbed while the one before it is
    still being estimated.
    """

    def __init__(self, target: int | str | Path, pose_model: str | Path | None = DEFAULT_POSE_MODEL,
                 realtime: bool = True, keep_image: bool = True, pose_workers: int | None = None,
                 num_poses: int = MAX_BODIES):
        self.is_live = isinstance(target, int)
        self.target = target if self.is_live else Path(target)
        self.name = f"camera {target}" if self.is_live else str(self.target)
        self.pose_model_spec = pose_model
        self.pose_model = pose_model_path(pose_model)
        self.num_poses = max(1, min(num_poses, MAX_BODIES))  # the model has two body slots
        self._slots = BodySlots()
        self.realtime = realtime
        self.keep_image = keep_image
        self.pose_workers = max(1, pose_workers if pose_workers is not None else default_pose_workers())
        self.fps = None
        self.frames_stated: int | None = None  # the frame count a file's header states, None when it states none
        self._capture = None
        self._poses: list = []
        self._threads: list[ThreadPoolExecutor] = []
        self._pending: deque = deque()  # (future, index, timestamp, captured_at, image), oldest first
        self._ended = False
        self._index = 0
        self._pacer: Pacer | None = None
        # MediaPipe's graph threads log their start-up after the estimators are built, until each has
        # processed an image: stderr is filtered from building them until then (or until close()).
        self._start_up_output = contextlib.ExitStack()

    def open(self):
        # cv2 imported on use: importing this module stays light
        import cv2

        problem = pose_model_problem(self.pose_model_spec)
        if problem:
            raise SourceError(problem)
        if not self.is_live and not self.target.is_file():
            raise SourceError(f"video file not found: {self.target}")
        self._capture = cv2.VideoCapture(self.target if self.is_live else str(self.target))
        if not self._capture.isOpened():
            self.close()
            if self.is_live:
                raise SourceError(camera_not_found_message(self.target), retryable=True)
            raise SourceError(unopenable_video_message(self.target))
        stated = self._capture.get(cv2.CAP_PROP_FRAME_COUNT) if not self.is_live else 0
        self.frames_stated = int(stated) if np.isfinite(stated) and stated > 0 else None
        if self.is_live:
            self._capture.set(cv2.CAP_PROP_BUFFERSIZE, 1)  # keep the newest image, not a queue of old ones
        fps = float(self._capture.get(cv2.CAP_PROP_FPS) or 0.0)
        if not np.isfinite(fps) or fps <= 0:
            log.warning("%s states no frame rate; assuming %.0f fps", self.name, FALLBACK_FPS)
            fps = FALLBACK_FPS
        self.fps = fps
        # One thread per estimator keeps its frames in order; each estimator is built on its own thread so that
        # MediaPipe's internal threads inherit that thread's lower priority.
        self._threads = [ThreadPoolExecutor(max_workers=1, thread_name_prefix="pose",
                                            initializer=_lower_this_threads_priority)
                         for _ in range(self.pose_workers)]
        self._start_up_output.enter_context(filtered_native_stderr())
        self._poses = [thread.submit(self._new_estimator).result() for thread in self._threads]
        self._pending.clear()
        self._slots.reset()
        self._ended = False
        self._index = 0
        self.dropped_frames = 0
        self._pacer = Pacer(self.interrupt) if self.realtime and not self.is_live else None

    def _grab(self):
        """(ok, BGR image, timestamp, captured_at) of the next frame to process, skipping late file frames."""
        if self._pacer is not None:
            while self._pacer.lateness(self._index / self.fps) > 1.0 / self.fps and self._capture.grab():
                self._index += 1  # too late already: skip decoding and pose estimation of this frame
                self.dropped_frames += 1
            self._pacer.wait_until(self._index / self.fps)
        ok, image = self._capture.read()
        captured_at = time.monotonic()
        timestamp = captured_at if self.is_live else self._index / self.fps
        return ok, image, timestamp, captured_at

    def _new_estimator(self):
        return _TaskPose(self.pose_model, self.num_poses)

    def _estimate(self, pose, image: np.ndarray, timestamp: float):
        """([(joints (25, 3), valid (25,), image points (25, 2), image centre (2,)) per person], pose ms) of one
        BGR image, on a pose worker's thread; each person already placed in camera space."""
        # cv2 imported on use: importing this module stays light
        import cv2

        start = time.perf_counter()
        rgb = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
        people = []
        for values in pose(rgb, int(round(timestamp * 1000))):  # (33, 6): world xyz, visibility, image x, y
            world = place_in_camera(values[:, :3], values[:, 4:6], values[:, 3], image.shape)
            joints, valid = landmarks_to_skeleton(world, values[:, 3])
            points = landmarks_to_image_points(values[:, 4:6], image.shape)
            people.append((joints[0], valid[0], points[0], image_centre(values[:, 4:6], values[:, 3])))
        return people, 1e3 * (time.perf_counter() - start)

    def _in_slots(self, people, timestamp: float):
        """(joints (M, 25, 3), valid (M, 25), image points (M, 25, 2)) with each person in its BodySlots slot."""
        if not people:
            joints, valid = empty_skeleton()
            return joints, valid, np.zeros((0, 25, 2), np.float32)
        slots = self._slots.assign([centre for *_, centre in people], timestamp)
        used = max(slots) + 1
        joints, valid = np.zeros((used, 25, 3), np.float32), np.zeros((used, 25), bool)
        points = np.zeros((used, 25, 2), np.float32)
        for slot, (person_joints, person_valid, person_points, _) in zip(slots, people):
            joints[slot], valid[slot], points[slot] = person_joints, person_valid, person_points
        return joints, valid, points

    def _submit_next(self) -> bool:
        """Grab the next image and hand it to its estimator; False at the end of a file."""
        ok, image, timestamp, captured_at = self._grab()
        if not ok:
            if self.is_live:
                raise SourceError(f"{self.name} stopped delivering images (unplugged?)", retryable=True)
            if self._index == 0 or is_truncated(self._index, self.frames_stated):
                raise SourceError(truncated_video_message(self.target, self._index, self.frames_stated))
            self._ended = True
            return False
        worker = self._index % self.pose_workers
        future = self._threads[worker].submit(self._estimate, self._poses[worker], image, timestamp)
        self._pending.append((future, self._index, timestamp, captured_at, image))
        self._index += 1
        return True

    def read(self) -> Frame | None:
        assert self._capture is not None, f"{self.name}: read() before open()"
        while not self._ended and len(self._pending) < self.pose_workers:
            if not self._submit_next():
                break
        if not self._pending:
            return None
        future, index, timestamp, captured_at, image = self._pending.popleft()
        people, pose_ms = future.result()
        joints, valid, image_points = self._in_slots(people, timestamp)  # in frame order: slots follow people
        if index + 1 >= self.pose_workers:  # every estimator has processed an image: its start-up is over
            self._start_up_output.close()
        return Frame(joints=joints, valid=valid, timestamp=timestamp, index=index, captured_at=captured_at,
                     image=image if self.keep_image else None, pose_ms=pose_ms,
                     image_points=image_points if self.keep_image else None)

    def close(self):
        for thread in self._threads:
            thread.shutdown(wait=True, cancel_futures=True)  # an estimator must be idle before it is closed
        self._start_up_output.close()
        self._threads = []
        self._pending.clear()
        if self._poses:
            with filtered_native_stderr():  # LiteRT says goodbye to its accelerator on each close
                for pose in self._poses:
                    pose.close()
        self._poses = []
        if self._capture is not None:
            self._capture.release()
            self._capture = None
