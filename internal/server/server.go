// Package server assembles the HTTP layer: the Fiber app with the shared
// middleware and error mapper of internal/httpx, the JSON API's route
// table (package api) and that of the pages and forms (package web).
package server

import (
	"context"
	"log/slog"

	"github.com/hcm-edu/vanban/api"
	"github.com/hcm-edu/vanban/archivepkg"
	"github.com/hcm-edu/vanban/documents"
	"github.com/hcm-edu/vanban/internal/httpx"
	"github.com/hcm-edu/vanban/notify"
	"github.com/hcm-edu/vanban/records"
	"github.com/hcm-edu/vanban/storage"
	"github.com/hcm-edu/vanban/web"
	"github.com/hcm-edu/vanban/worm"
	"github.com/jmoiron/sqlx"
)

// New builds the server with both route tables.
func New(d httpx.Deps) (*httpx.Server, error) {
	if d.Records == nil && d.DB != nil {
		d.Records = Records(d.DB, d.Blobs, d.Docs, d.Notes, d.Config.ArchiveAcceptLocalWORM, nil, d.Log)
	}
	pages, err := web.New(d)
	if err != nil {
		return nil, err
	}
	s := httpx.NewServer(d, pages.RenderError)
	jsonAPI, err := api.New(d, s.Done())
	if err != nil {
		return nil, err
	}
	s.App().Use("/static", web.StaticHandler())
	s.Mount(jsonAPI.Routes())
	s.Mount(pages.Routes())
	return s, nil
}

// Records builds the records service as serve runs it: hand-overs frozen
// through the WORM store (archive, or one made here when nil), files
// exported through the package writer, closed files' documents made
// B-LTA, and a version added to an archived document frozen like the rest
// (log says when that freezing must wait for the hourly scan; nil: the
// default logger).
func Records(db *sqlx.DB, blobs storage.Blobs, docs *documents.Service, notes *notify.Store, acceptLocal bool, archive *worm.Store, log *slog.Logger) *records.Service {
	if log == nil {
		log = slog.Default()
	}
	if archive == nil {
		archive = worm.New(db, blobs, notes, acceptLocal)
	}
	recs := records.New(db, docs, notes)
	recs.Freezer = archive
	recs.Exporter = archivepkg.ExporterFor(db, blobs)
	recs.Archiver = docs
	if docs.OnArchivalVersion == nil {
		docs.OnArchivalVersion = func(ctx context.Context, id int64, _ string) {
			if err := recs.FreezeDocument(ctx, id); err != nil {
				log.Warn("records: a new version of an archived document is not frozen yet; the hourly scan retries", "document", id, "error", err)
			}
		}
	}
	return recs
}
