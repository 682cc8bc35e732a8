// Package server assembles the HTTP layer: the Fiber app with the shared
// middleware and error mapper of internal/httpx, the JSON API's route
// table (package api) and that of the pages and forms (package web).
package server

import (
	"github.com/hcm-edu/vanban/api"
	"github.com/hcm-edu/vanban/archivepkg"
	"github.com/hcm-edu/vanban/internal/httpx"
	"github.com/hcm-edu/vanban/records"
	"github.com/hcm-edu/vanban/web"
	"github.com/hcm-edu/vanban/worm"
)

// New builds the server with both route tables.
func New(d httpx.Deps) (*httpx.Server, error) {
	if d.Records == nil && d.DB != nil {
		// As serve wires it: freezing through the WORM store, export
		// through the package writer.
		d.Records = records.New(d.DB, d.Docs, d.Notes)
		d.Records.Freezer = worm.New(d.DB, d.Blobs, d.Notes, d.Config.ArchiveAcceptLocalWORM)
		d.Records.Exporter = archivepkg.ExporterFor(d.DB, d.Blobs)
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
