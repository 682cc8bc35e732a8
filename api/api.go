// Package api is the JSON API under /api/v1: its route table, its
// handlers and its OpenAPI document. What it shares with the pages (the
// middleware, the error mapper, the upload reader) is in internal/httpx.
package api

import (
	"github.com/hcm-edu/vanban/admin"
	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/certs"
	"github.com/hcm-edu/vanban/config"
	"github.com/hcm-edu/vanban/documents"
	"github.com/hcm-edu/vanban/drafting"
	"github.com/hcm-edu/vanban/internal/httpx"
	"github.com/hcm-edu/vanban/meetings"
	"github.com/hcm-edu/vanban/notify"
	"github.com/hcm-edu/vanban/org"
	"github.com/hcm-edu/vanban/orgimport"
	"github.com/hcm-edu/vanban/records"
	"github.com/hcm-edu/vanban/routing"
)

// Server holds the JSON API's dependencies; its methods are the handlers.
type Server struct {
	cfg      *config.Config
	auth     *auth.Service
	units    *org.Store
	docs     *documents.Service
	routing  *routing.Service
	notes    *notify.Store
	meetings *meetings.Service
	drafts   *drafting.Service
	certs    *certs.Service
	admin    *admin.Service
	imports  *orgimport.Service
	records  *records.Service
	shutdown <-chan struct{}
	spec     []byte
}

// New prepares the JSON API. Live event streams end when shutdown is
// closed.
func New(d httpx.Deps, shutdown <-chan struct{}) (*Server, error) {
	s := &Server{cfg: d.Config, auth: d.Auth, units: d.Units, docs: d.Docs, routing: d.Routing, notes: d.Notes,
		meetings: d.Meetings, drafts: d.Drafts, certs: d.Certs, records: d.Records, shutdown: shutdown}
	s.admin = adminService(d)
	s.imports = orgimport.New(d.DB)
	var err error
	if s.spec, err = openAPIJSON(); err != nil {
		return nil, err
	}
	return s, nil
}
