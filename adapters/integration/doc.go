// Package integration holds the end-to-end tests of several server
// replicas (adapters/cmd/server) sharing one Redis and one PostgreSQL: a
// session whose frames alternate between two replicas, a replica killed
// with SIGKILL while webhooks are delivered and audit entries appended, and
// a benchmark of frames per second with one and two replicas. The crash
// tests (crash_test.go) kill the built servers, examples/server with
// -data-dir and cmd/server, 100 times each during a mix of traffic and check
// that every stored change has its webhook events and audit entries and
// nothing else; the data-dir run needs no Redis or PostgreSQL. The
// retention test and a benchmark of frame cost by session length use the
// stores directly.
//
// The tests run when OPENLIVENESS_REDIS_URL and OPENLIVENESS_POSTGRES_URL
// name reachable servers (adapters/ci/services.sh starts throwaway ones on
// loopback) and skip with a message otherwise; the frame scenarios also
// need the shared evaluation data (../shared/facedata). Each test uses its
// own Redis key prefix and PostgreSQL schema and removes them at the end.
package integration
