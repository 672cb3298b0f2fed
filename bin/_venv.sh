# Sourced by bin/demo and bin/test: make sure .venv exists, built with Python 3.11 or newer.
ensure_venv() {
    [[ -x .venv/bin/python ]] && return
    local python
    python="$(command -v python3.11 || command -v python3 || true)"
    if [[ -z "$python" ]]; then
        echo "$0: Claimtrack needs Python 3.11 or newer, and no python3 was found." >&2
        exit 1
    fi
    if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
        echo "$0: Claimtrack needs Python 3.11 or newer; $python is $("$python" --version 2>&1)." >&2
        exit 1
    fi
    echo "Creating .venv with $("$python" --version 2>&1)"
    "$python" -m venv .venv
}
