# bash completion for pftls: commands, their options, and the values of
# --format, --match and the file options. Installed as
# PREFIX/share/bash-completion/completions/pftls (loaded on demand).

_pftls() {
  local cur prev words cword
  _init_completion || return

  local commands="ingest incidents failures lost clients failing never-tls show status export copy prune metrics tls whatif report"
  local exports="incidents failures clients evidence tls"
  local query="--db --window --client --since --until --format --columns --wide --help"

  # The command (and export's own command) is the first word that is not an option.
  local cmd="" sub="" i
  for ((i = 1; i < cword; i++)); do
    case ${words[i]} in
      -*) ;;
      *)
        if [[ -z $cmd ]]; then
          cmd=${words[i]}
        elif [[ $cmd == export && -z $sub ]]; then
          sub=${words[i]}
        fi
        ;;
    esac
  done

  case $prev in
    --db | --unrecognised | --journal-file | -o | --output | --from)
      _filedir
      return
      ;;
    --journal-directory)
      _filedir -d
      return
      ;;
    --match)
      mapfile -t COMPREPLY < <(compgen -W "ip subnet org" -- "$cur")
      return
      ;;
    --direction)
      if [[ $cmd == failures || $sub == failures ]]; then
        mapfile -t COMPREPLY < <(compgen -W "in out both" -- "$cur")
      else
        mapfile -t COMPREPLY < <(compgen -W "in out" -- "$cur")
      fi
      return
      ;;
    --format)
      if [[ $cmd == report ]]; then
        mapfile -t COMPREPLY < <(compgen -W "text json" -- "$cur")
      elif [[ $cmd == ingest ]]; then
        mapfile -t COMPREPLY < <(compgen -W "auto syslog journal compose timestamps cri docker-json" -- "$cur")
      else
        mapfile -t COMPREPLY < <(compgen -W "table csv json ndjson" -- "$cur")
      fi
      return
      ;;
    --tz)
      mapfile -t COMPREPLY < <(cd /usr/share/zoneinfo 2>/dev/null && compgen -f -- "$cur")
      return
      ;;
    --window | --year | --lock-wait | --on-incident | --journal-timeout | --unit | --since | --until | \
      --client | --org | --runs | --to | --protocols | --ciphers)
      return
      ;;
  esac

  local opts
  case $cmd in
    "")
      mapfile -t COMPREPLY < <(compgen -W "$commands --help --version" -- "$cur")
      return
      ;;
    ingest)
      opts="--db --window --year --tz --lock-wait --unrecognised --metrics -q --quiet -v --verbose --on-incident
            --format --journal --unit --journal-file --journal-directory --journal-timeout --help"
      if [[ $cur != -* ]]; then
        _filedir
        return
      fi
      ;;
    incidents) opts="$query --match --per-host --skew" ;;
    failures) opts="$query --direction --per-host --skew" ;;
    lost) opts="$query --per-host --skew" ;;
    clients) opts="$query --match --per-host --skew" ;;
    failing | never-tls) opts="--db --since --until --format --columns --wide --help" ;;
    show) opts="--db --window --match --per-host --skew --redact --help" ;;
    status) opts="--db --runs --format --check --help" ;;
    metrics) opts="--db --help" ;;
    report) opts="--db --since --until --format --tz --help" ;;
    tls) opts="--db --direction --client --format --columns --wide --help" ;;
    whatif) opts="--db --protocols --ciphers --require-tls --since --until --client --format --columns --wide --help" ;;
    copy) opts="--from --to --help" ;;
    prune) opts="--db --before --keep --window --vacuum --lock-wait --help" ;;
    export)
      case $sub in
        "")
          mapfile -t COMPREPLY < <(compgen -W "$exports --help" -- "$cur")
          return
          ;;
        incidents) opts="--db --window --since --until --client --match --per-host --skew -o --output --help" ;;
        failures) opts="--db --direction --window --client --per-host --skew -o --output --help" ;;
        clients) opts="--db --window --client --match --per-host --skew -o --output --help" ;;
        evidence) opts="--client --org --db --window --match --per-host --skew --redact -o --output --help" ;;
        tls) opts="--db --direction --client -o --output --help" ;;
      esac
      ;;
  esac
  mapfile -t COMPREPLY < <(compgen -W "$opts" -- "$cur")
}
complete -F _pftls pftls
