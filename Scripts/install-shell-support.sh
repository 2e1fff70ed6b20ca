#!/usr/bin/env bash
# Installs pour's shell completions (bash, zsh, fish) and its man page for the current user.
#
#   bash Scripts/install-shell-support.sh [DEST]      # DEST defaults to ~/.local
#
# Completions come from the binary itself (swift-argument-parser's --generate-completion-script);
# formula names are completed from the local index (`pour update`), never the network.
# The man page comes from swift-argument-parser's `generate-manual` command plugin, run on this
# checkout (works offline once the package's dependencies are resolved); NO_MAN=1 skips it.
# POUR picks the binary (default: `pour` on PATH, else this checkout's .build/debug/pour).
set -euo pipefail
cd "$(dirname "$0")/.."
dest="${1:-$HOME/.local}"
pour="${POUR:-$(command -v pour || echo "$PWD/.build/debug/pour")}"
[ -x "$pour" ] || { echo "error: no pour binary at $pour; run 'swift build' or set POUR" >&2; exit 1; }

bash_dir="$dest/share/bash-completion/completions"     # bash-completion loads it on first Tab
zsh_dir="$dest/share/zsh/site-functions"               # add to fpath before compinit
fish_dir="${XDG_CONFIG_HOME:-$HOME/.config}/fish/completions"
[ "$dest" = "$HOME/.local" ] || fish_dir="$dest/share/fish/vendor_completions.d"
mkdir -p "$bash_dir" "$zsh_dir" "$fish_dir"
"$pour" --generate-completion-script bash > "$bash_dir/pour"
"$pour" --generate-completion-script zsh > "$zsh_dir/_pour"
"$pour" --generate-completion-script fish > "$fish_dir/pour.fish"
echo "completions: $bash_dir/pour $zsh_dir/_pour $fish_dir/pour.fish"
echo "zsh: add 'fpath=($zsh_dir \$fpath)' before compinit in ~/.zshrc"

if [ "${NO_MAN:-0}" != 1 ]; then
    export PATH=/opt/swift/usr/bin:$PATH
    swift package plugin generate-manual --configuration debug >/dev/null
    mkdir -p "$dest/share/man/man1"
    cp .build/plugins/GenerateManual/outputs/pour/pour.1 "$dest/share/man/man1/pour.1"
    echo "man page: $dest/share/man/man1/pour.1 (man pour)"
fi
