// Command vanban-signer is the signing helper a signer runs on their own PC:
// the vanban page hands it a document's digest, it shows what is being
// signed, asks for the USB token's PIN and signs with the key on the token.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/hcm-edu/vanban/localsigner"
)

// version is set at build time: -ldflags "-X main.version=..."
var version = "dev"

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "vanban-signer:", err)
		os.Exit(1)
	}
}

func env(name, def string) string {
	if v, ok := os.LookupEnv("VANBAN_SIGNER_" + name); ok {
		return v
	}
	return def
}

func run(args []string) error {
	fs := flag.NewFlagSet("vanban-signer", flag.ContinueOnError)
	listen := fs.String("listen", env("LISTEN", "127.0.0.1:8765"), "loopback address to listen on (VANBAN_SIGNER_LISTEN)")
	origin := fs.String("origin", env("ORIGIN", ""), "vanban address(es) allowed to ask for signatures, comma-separated, e.g. https://vanban.example (VANBAN_SIGNER_ORIGIN, required)")
	module := fs.String("module", env("MODULE", ""), "path of the CA's PKCS#11 driver (VANBAN_SIGNER_MODULE, required)")
	token := fs.String("token", env("TOKEN", ""), "label of the token to use; empty: every token with a certificate (VANBAN_SIGNER_TOKEN)")
	showVersion := fs.Bool("version", false, "print the version and exit")
	if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
		return nil
	} else if err != nil {
		return err
	}
	if *showVersion {
		fmt.Println("vanban-signer", version)
		return nil
	}
	if *module == "" {
		return errors.New("-module (the PKCS#11 driver of the CA) is required")
	}
	if *origin == "" {
		return errors.New("-origin (the vanban address, e.g. https://vanban.example) is required")
	}

	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	s, err := localsigner.New(localsigner.Config{
		Module:  *module,
		Origins: []string{*origin},
		Token:   *token,
		Version: version,
		Logger:  logger,
	})
	if err != nil {
		return err
	}
	l, err := localsigner.Listen(*listen)
	if err != nil {
		return err
	}
	errc := make(chan error, 1)
	go func() { errc <- s.Serve(l) }()
	// Tests and launchers read this first line for the address.
	fmt.Printf("vanban-signer listening on http://%s\n", l.Addr())

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	logger.Info("vanban-signer: shutting down")
	shutCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return s.Shutdown(shutCtx)
}
