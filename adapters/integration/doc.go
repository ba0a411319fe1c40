// Package integration holds the end-to-end tests of several server
// replicas (adapters/cmd/server) sharing one Redis and one PostgreSQL: a
// session whose frames alternate between two replicas, a replica killed
// with SIGKILL while webhooks are delivered and audit entries appended, and
// a benchmark of frames per second with one and two replicas.
//
// The tests run when OPENLIVENESS_REDIS_URL and OPENLIVENESS_POSTGRES_URL
// name reachable servers (adapters/ci/services.sh starts throwaway ones on
// loopback) and skip with a message otherwise; the frame scenarios also
// need the shared evaluation data (../shared/facedata). Each test uses its
// own Redis key prefix and PostgreSQL schema and removes them at the end.
package integration
