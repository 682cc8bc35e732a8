package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/hcm-edu/vanban/config"
	"github.com/hcm-edu/vanban/documents"
)

const textUsage = "usage: vanban text reindex [--all|--missing]"

// textConfig is the limits of text extraction and OCR from cfg.
func textConfig(cfg *config.Config) documents.TextConfig {
	return documents.TextConfig{OCRPages: cfg.OCRPages, OCRWorkers: cfg.OCRWorkers,
		PageTimeout: cfg.OCRPageTimeout, Timeout: cfg.TextTimeout, Memory: cfg.ConvertMemory}
}

// textCmd queues the text extraction of the documents without text (the
// default, --missing), or of all of them (--all): installations that had
// documents before extraction existed. Running services do the work.
func textCmd(ctx context.Context, cfg *config.Config, args []string) error {
	if len(args) == 0 || args[0] != "reindex" || len(args) > 2 {
		return errors.New(textUsage)
	}
	all := false
	if len(args) == 2 {
		switch args[1] {
		case "--all":
			all = true
		case "--missing":
		default:
			return errors.New(textUsage)
		}
	}
	db, blobs, err := openAll(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	docs, err := documents.NewService(db, blobs, filepath.Join(cfg.DataDir, "spool"), cfg.MaxUploadBytes)
	if err != nil {
		return err
	}
	n, err := docs.EnqueueTexts(ctx, all)
	if err != nil {
		return err
	}
	fmt.Printf("queued the text extraction of %d documents; running services do it (OCR_WORKERS per instance)\n", n)
	return nil
}
