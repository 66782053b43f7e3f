#!/usr/bin/env bash
# A faithful test double of Open-Falcon's ops-updater, step for step as its Go code does it
# (cron/heartbeat.go, request.go, response.go, start.go, stop.go, control.go; model.FillAttrs and
# utils.Md5sumCheck of ops-common), written in bash with curl, wget, md5sum, tar and ./control:
#
#   every cycle:
#     realAgents: each folder ROOT/NAME with a .version file and a ROOT/NAME/VERSION/control script;
#       status = trimmed output of `./control status` there, or
#       "exec `./control status` fail: exit status N" when it exits non-zero; timestamp = Unix seconds
#     POST http://SERVER/heartbeat  {"hostname":…,"realAgents":[…]}   (no token)
#     errorMessage non-empty → skip the cycle; for each desired agent:
#       cmd start: mkdir NAME/VERSION; unless the files are there and `md5sum -c` passes:
#                  wget -q {tarball}/NAME-VERSION.tar.gz and {md5 or tarball}/NAME-VERSION.tar.gz.md5,
#                  `md5sum -c` (stop here on failure); `tar zxf`; `./control stop` in the version
#                  named by .version when it differs; `./control start` in the new one unless its
#                  status says started, wait, check status; write .version
#       cmd stop:  `./control stop` in NAME/VERSION (when that version has a control script)
#       any other cmd: ignored ("unknown cmd")
#
# Usage: ops-updater.sh --server HOST:PORT --root DIR [--hostname NAME] [--interval SECONDS] [--cycles N]
#   --cycles 0 (default) runs forever, as the original. OPS_UPDATER_SETTLE (default 3, the original's
#   time.Sleep(3s)) is the wait between `./control start|stop` and the status check.
# Needs bash, curl, wget, md5sum, tar and python3 (JSON).
set -u

server=""
root=""
host_name=""
interval=60
cycles=0
settle=${OPS_UPDATER_SETTLE:-3}

while [ $# -gt 0 ]; do
  case "$1" in
    --server) server=$2; shift 2 ;;
    --root) root=$2; shift 2 ;;
    --hostname) host_name=$2; shift 2 ;;
    --interval) interval=$2; shift 2 ;;
    --cycles) cycles=$2; shift 2 ;;
    -h|--help) sed -n '2,26p' "$0"; exit 0 ;;
    *) echo "ops-updater.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -n "$server" ] && [ -n "$root" ] || { echo "usage: ops-updater.sh --server HOST:PORT --root DIR [--hostname NAME] [--cycles N]" >&2; exit 2; }
mkdir -p "$root" || exit 1
root=$(cd "$root" && pwd)
[ -n "$host_name" ] || host_name=$(hostname)

log() { echo "$(date '+%Y/%m/%d %H:%M:%S') $*" >&2; }
trim() { local s="$1"; s="${s#"${s%%[![:space:]]*}"}"; printf '%s' "${s%"${s##*[![:space:]]}"}"; }

# Control DIR ARG: runs ./control ARG in DIR; sets ctl_out (its output) and returns its exit status.
ctl_out=""
control() {
  local rc
  ctl_out=$(cd "$1" && ./control "$2" 2>&1 </dev/null)
  rc=$?
  [ $rc -eq 0 ] || log "cd $1; ./control $2 fail exit status $rc. output: $ctl_out"
  return $rc
}

# ./control start|stop must not hold our pipes (daemons it starts keep them open).
control_quiet() {
  (cd "$1" && ./control "$2" >/dev/null 2>&1 </dev/null)
}

md5sum_check() { (cd "$1" && md5sum -c "$2" >/dev/null 2>&1) || { log "cd $1; md5sum -c $2 fail"; return 1; }; }

control_start_in() {
  local dir=$1 rc
  control "$dir" status && [[ $ctl_out == *started* ]] && return 0
  control_quiet "$dir" start || return 1
  sleep "$settle"
  control "$dir" status
  rc=$?
  [ $rc -eq 0 ] && [[ $ctl_out == *started* ]] && return 0
  return $rc # as the original: a status that ran fine but does not say started is no error
}

control_stop_in() {
  local dir=$1 rc
  [ -e "$dir" ] || return 0
  control "$dir" status && [[ $ctl_out == *stoped* ]] && return 0
  control_quiet "$dir" stop || return 1
  sleep "$settle"
  control "$dir" status
  rc=$?
  [ $rc -eq 0 ] && [[ $ctl_out == *stoped* ]] && return 0
  return $rc
}

stop_agent_of() { # NAME NEWVERSION: stops the version recorded in .version when it is another one
  local agent_dir="$root/$1" version
  if [ ! -e "$agent_dir/.version" ]; then log "WARN: $agent_dir/.version is nonexistent"; return 0; fi
  version=$(trim "$(cat "$agent_dir/.version")")
  [ "$version" = "$2" ] && return 0
  if [ ! -e "$agent_dir/$version" ]; then log "WARN: $agent_dir/$version nonexistent"; return 0; fi
  control_stop_in "$agent_dir/$version"
}

handle_desired() { # NAME VERSION TARBALL MD5 CMD
  local name=$1 version=$2 tarball=$3 md5=$4 cmd=$5
  # model.DesiredAgent.FillAttrs
  local agent_dir="$root/$name"
  local vdir="$agent_dir/$version"
  local tarball_file="$name-$version.tar.gz"
  local md5_file="$tarball_file.md5"
  [ -n "$md5" ] || md5=$tarball
  local tarball_url="$tarball/$tarball_file" md5_url="$md5/$md5_file"

  case "$cmd" in
    start)
      mkdir -p "$agent_dir" || { log "insure dir $agent_dir fail"; return; }
      mkdir -p "$vdir" || { log "insure dir $vdir fail"; return; }
      if ! { [ -e "$vdir/$md5_file" ] && [ -e "$vdir/$tarball_file" ] && [ -e "$vdir/control" ] && md5sum_check "$vdir" "$md5_file"; }; then
        (cd "$vdir" && wget -q "$tarball_url" -O "$tarball_file") || { log "wget -q $tarball_url -O $tarball_file fail"; return; }
        (cd "$vdir" && wget -q "$md5_url" -O "$md5_file") || { log "wget -q $md5_url -O $md5_file fail"; return; }
        md5sum_check "$vdir" "$md5_file" || return
      fi
      (cd "$vdir" && tar zxf "$tarball_file") || { log "tar zxf $tarball_file fail"; return; }
      stop_agent_of "$name" "$version" || return
      control_start_in "$vdir" || return
      printf '%s' "$version" >"$agent_dir/.version"
      ;;
    stop)
      [ -e "$vdir/control" ] || return
      control_stop_in "$vdir"
      ;;
    *) log "unknown cmd <Name:$name, Version:$version, Tarball:$tarball, Md5:$md5, Cmd:$cmd>" ;;
  esac
}

heartbeat() {
  local now lines="" dir name version status rc request response parsed
  now=$(date +%s)
  for dir in "$root"/*/; do
    [ -d "$dir" ] || continue
    name=$(basename "$dir")
    [ -e "$dir.version" ] || continue
    version=$(trim "$(cat "$dir.version")")
    if [ ! -e "$dir$version/control" ]; then log "$dir$version/control is nonexistent"; continue; fi
    status=$(cd "$dir$version" && ./control status 2>&1 </dev/null)
    rc=$?
    if [ $rc -ne 0 ]; then status="exec \`./control status\` fail: exit status $rc"; else status=$(trim "$status"); fi
    lines+="$name"$'\x1f'"$version"$'\x1f'"$status"$'\x1f'"$now"$'\x1e'
  done
  request=$(printf '%s' "$lines" | HOSTNAME_="$host_name" python3 -c '
import json, os, sys
agents = []
for rec in sys.stdin.read().split("\x1e"):
    if rec:
        n, v, s, t = rec.split("\x1f")
        agents.append({"name": n, "version": v, "status": s, "timestamp": int(t)})
print(json.dumps({"hostname": os.environ["HOSTNAME_"], "realAgents": agents}, separators=(",", ":"), ensure_ascii=False))
') || { log "encode heartbeat request fail"; return; }
  # httplib.Post(url).SetTimeout(10s, 1min).Body(bs).Bytes(): the body whatever the status code
  response=$(curl -sS --connect-timeout 10 --max-time 60 -H 'Content-Type:' --data-binary "$request" "http://$server/heartbeat") || {
    log "curl http://$server/heartbeat fail"
    return
  }
  parsed=$(printf '%s' "$response" | python3 -c '
import json, sys
try:
    r = json.loads(sys.stdin.read())
    if not isinstance(r, dict): raise ValueError("not an object")
except Exception as e:
    print("DECODE\x1f" + str(e)); sys.exit(0)
if r.get("errorMessage"):
    print("ERROR\x1f" + r["errorMessage"]); sys.exit(0)
for a in r.get("desiredAgents") or []:
    if a is None: continue
    print("\x1f".join(["AGENT"] + [str(a.get(k) or "") for k in ("name", "version", "tarball", "md5", "cmd")]))
')
  local kind f1 f2 f3 f4 f5
  while IFS=$'\x1f' read -r kind f1 f2 f3 f4 f5; do
    case "$kind" in
      DECODE) log "decode heartbeat response fail $f1"; return ;;
      ERROR) log "receive error message: $f1"; return ;;
      AGENT) handle_desired "$f1" "$f2" "$f3" "$f4" "$f5" ;;
    esac
  done <<<"$parsed"
}

n=0
while :; do
  heartbeat
  n=$((n + 1))
  [ "$cycles" -gt 0 ] && [ "$n" -ge "$cycles" ] && break
  sleep "$interval"
done
