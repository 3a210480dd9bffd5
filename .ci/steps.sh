# Sourced by the .ci scripts: `step NAME COMMAND...` prints the command, runs it and says how
# long it took, so that a slow CI run shows which step grew.
step() {
    local name=$1
    shift
    echo "=== ${name}: $*"
    local started=$SECONDS
    "$@"
    echo "=== ${name}: done in $((SECONDS - started)) s"
}

# The newest interpreter of Python $1 (3.10, 3.13) that pyenv holds, or an error naming it.
pyenv_python() {
    local root
    root=$(pyenv root 2>/dev/null || echo "${PYENV_ROOT:-$HOME/.pyenv}")
    local found
    found=$(find "$root/versions" -maxdepth 3 -path "*/versions/$1.*/bin/python" 2>/dev/null \
        | sort -V | tail -n 1)
    if [ -z "$found" ]; then
        echo "no Python $1 under $root/versions (pyenv install $1)" >&2
        return 1
    fi
    echo "$found"
}
