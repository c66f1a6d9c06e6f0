"""Files the desk hands out (exports of the book, the monthly review, the area's figures)."""
from flask import Response, stream_with_context


def download(filename, mimetype, chunks):
    """A streamed file download that no cache keeps."""
    response = Response(stream_with_context(chunks), mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response
