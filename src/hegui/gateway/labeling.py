"""Labeling over HTTP (multipart uploads), on the ``hegui serve`` app.

- ``POST /v1/labels``            file + producer, produce_id?, explicit?, strict_code?, wording?, … →
  the labeled file as an attachment, the label in the ``X-AIGC-Label`` header (ASCII JSON); with
  ``response_format=json`` a JSON body with the result and the file in base64 instead.
- ``POST /v1/labels/inspect``    file (+ public_key / platform_key PEM text) → JSON inspection.
- ``POST /v1/labels/propagate``  file + platform, propagate_id, user_declared?, explicit? → the labeled
  file (decision in ``X-AIGC-Decision``) or, when there is no AI indication, a JSON report only.

Size limit: the app's body-size middleware answers 413. Unsupported content → 415; bad fields → 400.
Signing over HTTP is not offered: a producer's private key should not travel in requests.
"""

from __future__ import annotations

import base64
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any, Literal

from fastapi import APIRouter, File, Form, UploadFile
from fastapi.responses import JSONResponse, Response

from hegui.core.errors import InputError

router = APIRouter(prefix="/v1/labels", tags=["labeling"])

ResponseFormat = Literal["file", "json"]
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def _safe_name(upload: UploadFile) -> str:
    """A file-system-safe name keeping the extension (Markdown vs text is told by it)."""
    name = Path(upload.filename or "upload").name
    stem, suffix = Path(name).stem, Path(name).suffix.lower()
    stem = _SAFE_NAME.sub("_", stem).strip("._") or "upload"
    suffix = suffix if re.fullmatch(r"\.[a-z0-9]{1,8}", suffix) else ""
    return (stem[:100] + suffix) or "upload"


def _save(upload: UploadFile, directory: Path) -> Path:
    path = directory / _safe_name(upload)
    with path.open("wb") as fh:
        shutil.copyfileobj(upload.file, fh, 1 << 20)
    if path.stat().st_size == 0:
        raise InputError("uploaded file is empty")
    return path


def _file_response(path: Path, headers: dict[str, str]) -> Response:
    # The body is read into memory: uploads are already capped by the body-size limit.
    data = path.read_bytes()
    disposition = f'attachment; filename="{path.name}"'
    return Response(data, media_type="application/octet-stream",
                    headers={"Content-Disposition": disposition, **headers})


def _json_with_file(result: dict[str, Any], path: Path) -> JSONResponse:
    return JSONResponse({"result": result, "filename": path.name,
                         "file_base64": base64.b64encode(path.read_bytes()).decode("ascii")})


@router.post("")
def add(
    file: UploadFile = File(..., description="The generated content to label."),
    producer: str = Form(..., description="Provider code (27 characters) or name."),
    produce_id: str | None = Form(None, description="Your id for this content; default a fresh one."),
    explicit: bool = Form(True, description="Also add the visible label."),
    strict_code: bool = Form(False, description="Require a valid 27-character provider code."),
    wording: str | None = Form(None, description="Visible label wording (validated)."),
    language: str = Form("zh", description="Template language for text: zh or en."),
    position: str = Form("prefix", description="Text label position: prefix, suffix, both."),
    placement: str = Form("bottom-right", description="Image/video label placement."),
    watermark: bool = Form(False, description="Also embed the invisible watermark (PNG/JPEG/WebP/TIFF)."),
    response_format: ResponseFormat = Form("file", description="file (attachment) or json."),
) -> Response:
    """Add the implicit label (and by default the explicit one); returns the labeled file."""
    from hegui.labeling.api import add_label
    from hegui.labeling.explicit import ExplicitOptions, Position

    try:
        options = ExplicitOptions(wording=wording, language=language, text_position=Position(position),
                                  placement=placement)
    except ValueError:
        raise InputError(f"position must be prefix, suffix or both, got {position!r}") from None
    with tempfile.TemporaryDirectory(prefix="hegui-http-") as tmp:
        src = _save(file, Path(tmp))
        result = add_label(src, out_dir=Path(tmp) / "out", producer=producer, produce_id=produce_id,
                           explicit=explicit, explicit_options=options, watermark=watermark,
                           code_mode="strict" if strict_code else "allow-name")
        body = result.as_dict()
        del body["file"], body["output"]
        if response_format == "json":
            return _json_with_file(body, result.dst)
        return _file_response(result.dst, {"X-AIGC-Label": result.label.to_json(),
                                           "X-AIGC-Format": result.format})


@router.post("/inspect")
def inspect(
    file: UploadFile = File(..., description="The file to read."),
    public_key: str | None = Form(None, description="Producer's Ed25519 public key (PEM) to verify."),
    platform_key: str | None = Form(None, description="Platform's Ed25519 public key (PEM) to verify."),
) -> dict[str, Any]:
    """Read a file's labels: carriers, conflicts, validity, signature, explicit label."""
    from hegui.labeling.api import inspect as inspect_file

    with tempfile.TemporaryDirectory(prefix="hegui-http-") as tmp:
        src = _save(file, Path(tmp))
        result = inspect_file(src, public_key=public_key.encode() if public_key else None,
                              platform_key=platform_key.encode() if platform_key else None)
        body = result.as_dict()
    body["file"] = file.filename
    return body


@router.post("/propagate")
def propagate(
    file: UploadFile = File(..., description="The uploaded content."),
    platform: str = Form(..., description="Your platform's provider code or name."),
    propagate_id: str = Form(..., description="Your id for this content."),
    user_declared: bool = Form(False, description="The uploader declared it AI-generated."),
    explicit: bool = Form(True, description="Also put the matching visible label into the file."),
    strict_code: bool = Form(False, description="Require a valid 27-character provider code."),
    response_format: ResponseFormat = Form("file", description="file (attachment) or json."),
) -> Response:
    """Platform side: confirmed / possible / suspected → propagator fields and label; else a report."""
    from hegui.labeling.api import propagate as propagate_file

    with tempfile.TemporaryDirectory(prefix="hegui-http-") as tmp:
        src = _save(file, Path(tmp))
        result = propagate_file(src, platform=platform, propagate_id=propagate_id,
                                user_declared=user_declared, explicit=explicit, out_dir=Path(tmp) / "out",
                                code_mode="strict" if strict_code else "allow-name")
        body = result.as_dict()
        body.pop("output")
        body["file"] = file.filename
        if result.dst is None:
            return JSONResponse({"result": body})
        if response_format == "json":
            return _json_with_file(body, result.dst)
        assert result.label is not None
        return _file_response(result.dst, {"X-AIGC-Label": result.label.to_json(),
                                           "X-AIGC-Decision": result.decision})
