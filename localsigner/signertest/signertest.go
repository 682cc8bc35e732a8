// Package signertest runs the signing helper, cmd/vanban-signer, as a child
// process for tests, the way a signer's PC runs it.
package signertest

import (
	"strings"
	"testing"

	"github.com/hcm-edu/vanban/internal/testenv"
)

// Options configures the helper process.
type Options struct {
	Module string // PKCS#11 module (libsofthsm2.so in tests)
	Conf   string // SOFTHSM2_CONF for the process
	Origin string // the vanban origin(s) it answers, comma-separated
	Token  string // token label; "" for every token
}

const prefix = "vanban-signer listening on "

var program = &testenv.Program{Package: "./cmd/vanban-signer"}

// Binary builds cmd/vanban-signer once per test process and returns its path.
func Binary(tb testing.TB) string {
	tb.Helper()
	return program.Binary(tb)
}

// RemoveBinary deletes what Binary built; call it from TestMain.
func RemoveBinary() { program.Remove() }

// Start runs the helper on 127.0.0.1 with a free port, SOFTHSM2_CONF set to
// o.Conf, and returns its base URL (http://127.0.0.1:PORT), read from the
// first line it prints. The process is interrupted (a graceful shutdown)
// when the test ends; its log (stderr) is shown if the test failed.
func Start(tb testing.TB, o Options) string {
	tb.Helper()
	args := []string{"-listen", "127.0.0.1:0", "-origin", o.Origin, "-module", o.Module}
	if o.Token != "" {
		args = append(args, "-token", o.Token)
	}
	line := testenv.Start(tb, Binary(tb), testenv.Run{Name: "vanban-signer", Args: args,
		Env: []string{"SOFTHSM2_CONF=" + o.Conf}, Prefix: prefix, Interrupt: true})
	return strings.TrimPrefix(line, prefix)
}
