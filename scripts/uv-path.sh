# Sourced by the scripts: where a per-user pip install puts uv, and never a downloaded Python build.
export PATH="$HOME/.local/bin:$PATH"
export UV_PYTHON_DOWNLOADS=never
