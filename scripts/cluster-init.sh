#!/bin/sh
# The one-shot `cluster-init` service of docker-compose.yml's `cluster` profile, run on every
# `docker compose --profile cluster up` once the six nodes answer. The first time it forms the
# cluster. After that it only tells every node where the others are now: containers that compose
# recreated may come back on new IP addresses, which the nodes' nodes.conf files still name (a
# node keeps its id and slots; CLUSTER MEET to a node it already knows just moves its address),
# and points each replica whose replication link still uses an old address at its master again.
#
# CLUSTER_NODES: the nodes as host:port, separated by spaces or commas; the first three become
# masters, the others their replicas.
set -eu

nodes=$(echo "$CLUSTER_NODES" | tr ',' ' ')
first=${nodes%% *}

# `ip:port` of a `host:port`: CLUSTER MEET and `redis-cli --cluster create` take no host names.
address() {
  ip=$(getent ahostsv4 "${1%:*}" | head -n 1 | cut -d ' ' -f 1)
  if [ -z "$ip" ]; then
    echo "cluster-init: cannot resolve ${1%:*}" >&2
    exit 1
  fi
  echo "$ip:${1##*:}"
}

# One field of a node's CLUSTER INFO.
cluster_info() {
  redis-cli -h "${1%:*}" -p "${1##*:}" cluster info | tr -d '\r' | sed -n "s/^$2://p"
}

addresses=""
for node in $nodes; do addresses="$addresses $(address "$node")"; done

if [ "$(cluster_info "$first" cluster_slots_assigned)" = 0 ]; then
  echo "cluster-init: forming the cluster"
  # shellcheck disable=SC2086 # one argument per node
  redis-cli --cluster create $addresses --cluster-replicas 1 --cluster-yes
else
  echo "cluster-init: the cluster exists; telling each node where the others are now"
  for node in $nodes; do
    self=$(address "$node")
    for other in $addresses; do
      if [ "$other" != "$self" ]; then
        redis-cli -h "${node%:*}" -p "${node##*:}" cluster meet "${other%:*}" "${other##*:}" >/dev/null
      fi
    done
  done
fi

# Every node must have heard where the others are before the replicas are checked below.
for node in $nodes; do
  tries=0
  until [ "$(cluster_info "$node" cluster_state)" = ok ]; do
    tries=$((tries + 1))
    if [ "$tries" -gt 60 ]; then
      echo "cluster-init: $node is not cluster_state:ok after 60 s" >&2
      exit 1
    fi
    sleep 1
  done
done

# A replica that learns its master's new address through gossip updates its view of the
# cluster but not its replication link, which then keeps trying the old address.
for node in $nodes; do
  host=${node%:*}
  port=${node##*:}
  master_id=$(redis-cli -h "$host" -p "$port" cluster nodes | grep myself | cut -d ' ' -f 4)
  [ "$master_id" = - ] && continue
  master_address=$(redis-cli -h "$host" -p "$port" cluster nodes | grep "^$master_id " | cut -d ' ' -f 2 | cut -d '@' -f 1)
  replication=$(redis-cli -h "$host" -p "$port" info replication | tr -d '\r')
  linked=$(echo "$replication" | sed -n 's/^master_host://p'):$(echo "$replication" | sed -n 's/^master_port://p')
  if [ "$linked" != "$master_address" ]; then
    echo "cluster-init: $node replicates from $linked; pointing it at $master_address"
    redis-cli -h "$host" -p "$port" cluster replicate "$master_id" >/dev/null
  fi
done
echo "cluster-init: cluster_state:ok on every node"
