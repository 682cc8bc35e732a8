package api

import (
	"net/http"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/recover"
)

// route is one endpoint. Every API route carries the operationId it has in
// the OpenAPI document; a test checks the two agree.
type route struct {
	method, path, operationID string
	auth                      bool // requires a logged-in user
	upload                    bool // streams a file body
	handler                   fiber.Handler
}

func (s *Server) table() []route {
	return []route{
		// Operations.
		{"GET", "/healthz", "", false, false, s.healthz},
		{"GET", "/readyz", "", false, false, s.readyz},
		{"GET", "/metrics", "", false, false, s.metricsHandler},

		// JSON API.
		{"GET", "/api/v1/openapi.json", "getOpenAPI", false, false, s.openAPI},
		{"POST", "/api/v1/auth/login", "login", false, false, s.apiLogin},
		{"POST", "/api/v1/auth/logout", "logout", true, false, s.apiLogout},
		{"GET", "/api/v1/me", "getMe", true, false, s.getMe},
		{"GET", "/api/v1/units", "listUnits", true, false, s.listUnits},
		{"GET", "/api/v1/units/:id", "getUnit", true, false, s.getUnit},
		{"GET", "/api/v1/vocabulary", "getVocabulary", true, false, s.getVocabulary},
		{"GET", "/api/v1/documents", "listDocuments", true, false, s.listDocuments},
		{"POST", "/api/v1/documents", "createDocument", true, true, s.createDocument},
		{"GET", "/api/v1/documents/:id", "getDocument", true, false, s.getDocument},
		{"GET", "/api/v1/documents/:id/versions/:version/download", "downloadDocumentVersion", true, false, s.downloadVersion},
		{"GET", "/api/v1/documents/:id/versions/:version/link", "getDocumentVersionLink", true, false, s.versionLink},
		{"GET", "/api/v1/documents/:id/versions/:version/verification", "getVerification", true, false, s.getVerification},
		{"GET", "/api/v1/documents/:id/signatures", "listDocumentSignatures", true, false, s.listSignatures},
		{"POST", "/api/v1/documents/:id/sign", "signDocument", true, false, s.signDocument},
		{"POST", "/api/v1/documents/:id/seal", "sealDocument", true, false, s.sealDocument},
		{"POST", "/api/v1/verify", "verifyPDF", true, true, s.verifyPDF},
		{"PUT", "/api/v1/me/signature-image", "setMySignatureImage", true, true, s.setMySignatureImage},
		{"PUT", "/api/v1/units/:id/seal-image", "setUnitSealImage", true, true, s.setUnitSealImage},

		// Web pages.
		{"GET", "/", "", false, false, s.home},
		{"GET", "/login", "", false, false, s.loginPage},
		{"POST", "/login", "", false, false, s.loginSubmit},
		{"POST", "/logout", "", true, false, s.logoutSubmit},
		{"GET", "/documents", "", true, false, s.documentsPage},
		{"GET", "/documents/new", "", true, false, s.newDocumentPage},
		{"POST", "/documents", "", true, true, s.createDocumentSubmit},
		{"GET", "/documents/:id", "", true, false, s.documentPage},
		{"POST", "/documents/:id/sign", "", true, false, s.signSubmit},
		{"POST", "/documents/:id/seal", "", true, false, s.sealSubmit},
		{"GET", "/verify", "", true, false, s.verifyPage},
		{"POST", "/verify", "", true, true, s.verifySubmit},
		{"GET", "/settings", "", true, false, s.settingsPage},
		{"POST", "/settings/:kind", "", true, true, s.imageSubmit},
	}
}

func (s *Server) routes() {
	s.app.Use(recover.New())
	s.app.Use(s.begin)
	s.app.Use(s.identify)
	s.app.Use("/static", staticHandler())
	for _, r := range s.table() {
		h := []fiber.Handler{}
		if r.upload {
			h = append(h, markUpload)
		} else {
			h = append(h, limitBody)
		}
		if r.auth {
			h = append(h, s.requireUser)
		}
		h = append(h, r.handler)
		s.app.Add(r.method, r.path, h...)
		if r.method == http.MethodGet {
			s.app.Add(http.MethodHead, r.path, h...)
		}
	}
}

func markUpload(c *fiber.Ctx) error {
	c.Locals(localsUpload, true)
	return c.Next()
}
