# Sourced by bin/demo, bin/serve and bin/test.
#
# ensure_venv [EXTRA...] makes sure .venv exists, built with Python 3.11 or newer, and holds
# Claimtrack's dependencies and the optional extras named (bin/test asks for "dev"). pip runs only
# when pyproject.toml changed since the last install or an extra is asked for that is not there
# yet: a reinstall rewrites the editable install's import hook, which restarts a running demo.
# The stamp .venv/.claimtrack-installed holds the sha256 of the pyproject.toml installed from
# (its first line) and the extras installed with it (its second).
ensure_venv() {
    [[ -x .venv/bin/python ]] || create_venv
    # A demo and a test run started together must not run two pips into one venv; the subshell
    # holds the lock, so that it is released before the caller execs its server.
    (
        if command -v flock >/dev/null; then flock 9; fi
        install_into_venv "$@"
    ) 9>.venv/.claimtrack-install.lock
}

create_venv() {
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

install_into_venv() {
    local stamp=.venv/.claimtrack-installed
    local digest stamped_digest="" extra
    local -a stamped_extras=() missing=()
    digest="$(sha256sum pyproject.toml | cut -d ' ' -f 1)"
    if [[ -r "$stamp" ]]; then
        { read -r stamped_digest || true; read -r -a stamped_extras || true; } <"$stamp"
    fi

    if [[ "$stamped_digest" != "$digest" ]]; then
        local joined
        joined="$(IFS=,; echo "$*")"
        echo "Installing Claimtrack${joined:+ with its $joined extras} into .venv"
        .venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".${joined:+[$joined]}"
        printf '%s\n%s\n' "$digest" "$*" >"$stamp"
        return
    fi

    for extra in "$@"; do
        [[ " ${stamped_extras[*]} " == *" $extra "* ]] || missing+=("$extra")
    done
    if ((${#missing[@]})); then
        # Only the extras' own requirements: the project itself is installed and current.
        local listed
        local -a requirements
        listed="$(.venv/bin/python -c '
import sys, tomllib
with open("pyproject.toml", "rb") as file:
    extras = tomllib.load(file)["project"].get("optional-dependencies", {})
for name in sys.argv[1:]:
    if name not in extras:
        sys.exit(f"pyproject.toml has no {name!r} extra")
    print("\n".join(extras[name]))
' "${missing[@]}")"
        mapfile -t requirements <<<"$listed"
        echo "Adding the ${missing[*]} extras to .venv"
        .venv/bin/python -m pip install --quiet --disable-pip-version-check "${requirements[@]}"
        local -a installed=("${stamped_extras[@]}" "${missing[@]}")
        printf '%s\n%s\n' "$digest" "${installed[*]}" >"$stamp"
    fi
}
