#!/usr/bin/env bash
# man_covers_help.sh PFTLS SRC_DIST: every command and option that
# `pftls --help` and each `pftls COMMAND [SUB] --help` print is documented:
# in the man page source (src/dist/pftls.1.scd: a section "## COMMAND" that
# names each of its options in bold, *--opt*; -h/--help and --version in
# COMMON OPTIONS) and offered by the bash and zsh completions. Each gap is
# one line naming the option, the command and the file; exit 1 if any.
set -euo pipefail
pftls=$1
dist=$2
man=$dist/pftls.1.scd
bashc=$dist/pftls.bash
zshc=$dist/_pftls
missing=0
miss() {
  echo "missing: $*" >&2
  missing=$((missing + 1))
}

# The lines of one --help section ("Options:", "Subcommands:") up to the next blank line.
help_section() { awk -v s="$2" '$0 == s {on = 1; next} on && /^$/ {exit} on {print}' <<<"$1"; }
# Subcommand names: the first word of each entry (entries start with two spaces).
subcommands() { help_section "$1" "Subcommands:" | sed -n 's/^  \([a-z][a-z-]*\) .*/\1/p'; }
# Option names of the entries of "Options:" (-o,--output TEXT -> -o --output).
options() {
  help_section "$1" "Options:" | sed -n 's/^  \(-[^ ]*\).*/\1/p' | tr ',' '\n' | grep -E '^--?[a-zA-Z]'
}
# The text of one man section: from the heading line to the next heading.
man_section() { awk -v h="$1" '$0 == h {on = 1; next} on && /^#/ {exit} on {print}' "$man"; }
# OPT as a word of FILE (not a prefix of a longer option).
has_word() { grep -qE -- "(^|[^a-zA-Z0-9-])$1([^a-zA-Z0-9-]|$)" "$2"; }

check_options() {  # HELP_TEXT, COMMAND (as typed), MAN_HEADING
  local text=$1 cmd=$2 heading=$3 section opt
  section=$(man_section "$heading")
  while read -r opt; do
    case $opt in
      -h | --help | --version)
        man_section "# COMMON OPTIONS" | grep -qF -- "*$opt*" ||
          miss "option $opt of 'pftls $cmd' not in section '# COMMON OPTIONS' of $man"
        ;;
      *)
        grep -qF -- "*$opt*" <<<"$section" ||
          miss "option $opt of 'pftls $cmd' (pftls $cmd --help) not in section '$heading' of $man"
        has_word "$opt" "$bashc" || miss "option $opt of 'pftls $cmd' not offered by the bash completion $bashc"
        has_word "$opt" "$zshc" || miss "option $opt of 'pftls $cmd' not offered by the zsh completion $zshc"
        ;;
    esac
  done < <(options "$text")
}

top=$("$pftls" --help)
check_options "$top" "" "# COMMON OPTIONS"
commands=$(subcommands "$top")
[[ -n $commands ]] || { echo "no subcommands found in 'pftls --help'" >&2; exit 1; }
for cmd in $commands; do
  grep -qxF "## $cmd" "$man" || miss "command '$cmd' (pftls --help) has no section '## $cmd' in $man"
  has_word "$cmd" "$bashc" || miss "command '$cmd' not offered by the bash completion $bashc"
  grep -qF "'$cmd:" "$zshc" || miss "command '$cmd' not offered by the zsh completion $zshc"
  text=$("$pftls" "$cmd" --help)
  check_options "$text" "$cmd" "## $cmd"
  for sub in $(subcommands "$text"); do
    man_section "## $cmd" | grep -qF "*pftls $cmd $sub*" ||
      miss "command 'pftls $cmd $sub' not named (*pftls $cmd $sub*) in section '## $cmd' of $man"
    grep -qF "'$sub:" "$zshc" || miss "command '$cmd $sub' not offered by the zsh completion $zshc"
    check_options "$("$pftls" "$cmd" "$sub" --help)" "$cmd $sub" "## $cmd"
  done
done
if ((missing)); then
  echo "man_covers_help: $missing gaps: document them in src/dist/" >&2
  exit 1
fi
echo "man_covers_help: every command and option of --help is in the man page and the completions"
