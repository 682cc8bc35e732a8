// Package cluster holds the tests of several vanban instances behind a real
// load balancer (HAProxy from Debian, started by the tests) against one
// PostgreSQL and one S3 bucket: what the README promises for scaling out.
// It has no code of its own; see cluster_test.go.
package cluster
