# Shell helpers shared by the scripts (sourced, not run).

# A free TCP port on the loopback interface.
bf_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# bf_start_mosquitto DIR PORT: a private broker on 127.0.0.1:PORT, its config and log in DIR.
# Sets BF_MOSQUITTO_PID. Waits until it accepts connections.
bf_start_mosquitto() {
  local dir=$1 port=$2
  mkdir -p "$dir"
  cat > "$dir/mosquitto.conf" <<CONF
listener $port 127.0.0.1
allow_anonymous true
persistence false
max_queued_messages 100000
log_dest stdout
log_type error
log_type warning
log_type notice
CONF
  local mosq
  mosq=$(command -v mosquitto || echo /usr/sbin/mosquitto)
  "$mosq" -c "$dir/mosquitto.conf" > "$dir/mosquitto.log" 2>&1 &
  BF_MOSQUITTO_PID=$!
  for _ in $(seq 1 50); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      return 0
    fi
    sleep 0.1
  done
  echo "mosquitto did not start on port $port; see $dir/mosquitto.log" >&2
  cat "$dir/mosquitto.log" >&2
  return 1
}
