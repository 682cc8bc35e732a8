package web

import (
	"encoding/base64"
	"fmt"
	"io"
	"mime/multipart"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/certs"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/internal/httpx"
)

// The certificate pages: a person's own certificates (registered from the
// signing helper, a .cer upload or a remote-signing account), and the
// administrator's list of who holds what and until when.

// certView is what the certificate pages add to pageData.
type certView struct {
	Items     []certRow
	Held      []heldRow
	HelperURL string // the signing helper the page's script asks
	IsAdmin   bool
}

type certRow struct {
	certs.Certificate
	From, To string // dd/mm/yyyy, Vietnam time
	SourceVI string
	Expiring bool // within 30 days
	Expired  bool
}

type heldRow struct {
	certs.Holding
	To       string
	SourceVI string
	Expiring bool
	Expired  bool
}

var certSources = map[string]string{
	certs.SourceHelper: "Thiết bị ký (USB token)", certs.SourceUpload: "Tệp .cer", certs.SourceRemote: "Ký số từ xa",
}

func init() {
	fieldLabels["certificate"] = "Chứng thư số"
	fieldLabels["chain"] = "Chứng thư số của tổ chức cấp"
	fieldLabels["account"] = "Tài khoản ký số từ xa"
	fieldLabels["source"] = "Nguồn chứng thư số"
}

func dateVN(t time.Time) string { return t.In(domain.VietnamTime).Format("02/01/2006") }

// helperURL is SIGNER_HELPER_URL, or its default.
func (s *Server) helperURL() string {
	if s.cfg.SignerHelperURL != "" {
		return s.cfg.SignerHelperURL
	}
	return "http://127.0.0.1:8765"
}

func (s *Server) certificatesPage(c *fiber.Ctx) error {
	return s.renderCertificates(c, fiber.StatusOK, "", nil)
}

func (s *Server) renderCertificates(c *fiber.Ctx, status int, flash string, pr *httpx.Problem) error {
	p := httpx.Principal(c)
	d := s.page(c, "Chứng thư số của tôi")
	d.Flash = flash
	if pr != nil {
		d.Error, d.Fields = pr.Message, pr.Fields
		d.Form["account"] = c.FormValue("account")
	}
	mine, err := s.certs.Mine(c.UserContext(), p)
	if err != nil {
		return err
	}
	now := time.Now()
	v := &certView{HelperURL: s.helperURL(), IsAdmin: p.Has(auth.RoleAdmin)}
	for _, m := range mine {
		v.Items = append(v.Items, certRow{Certificate: m, From: dateVN(m.NotBefore), To: dateVN(m.NotAfter),
			SourceVI: certSources[m.Source], Expiring: m.Expiring(now), Expired: m.Expired(now)})
	}
	d.C = v
	return s.render(c, status, "certificates", d)
}

// certificateRefused shows the page again with the reason.
func (s *Server) certificateRefused(c *fiber.Ctx, err error) error {
	pr := s.toProblem(err)
	if pr.Status >= 500 || pr.Status == fiber.StatusUnauthorized || pr.Status == fiber.StatusNotFound {
		return err
	}
	return s.renderCertificates(c, pr.Status, "", &pr)
}

// registered shows the page after a registration.
func (s *Server) registered(c *fiber.Ctx, cert certs.Certificate, err error) error {
	if err != nil {
		return s.certificateRefused(c, err)
	}
	if !cert.Created {
		return s.renderCertificates(c, fiber.StatusOK, fmt.Sprintf("Chứng thư số «%s» đã được đăng ký từ trước.", cert.CommonName), nil)
	}
	return s.renderCertificates(c, fiber.StatusOK, fmt.Sprintf("Đã đăng ký chứng thư số «%s», hiệu lực đến ngày %s.", cert.CommonName, dateVN(cert.NotAfter)), nil)
}

// certificateUploadSubmit takes a .cer file.
func (s *Server) certificateUploadSubmit(c *fiber.Ctx) error {
	var b []byte
	_, err := httpx.ReadUpload(c, httpx.UploadForm{CSRF: true, File: "certificate", MaxBytes: 64 << 10},
		func(part *multipart.Part) (err error) {
			if b, err = io.ReadAll(io.LimitReader(part, 64<<10+1)); err != nil {
				return httpx.MultipartError(err)
			}
			return nil
		})
	if err != nil {
		return s.certificateRefused(c, err)
	}
	cert, err := s.certs.Register(c.UserContext(), httpx.Principal(c), certs.RegisterRequest{Certificate: b, Source: certs.SourceUpload})
	return s.registered(c, cert, err)
}

// certificateHelperSubmit takes the certificate the page's script got from
// the signing helper: base64 DER, and the chain's.
func (s *Server) certificateHelperSubmit(c *fiber.Ctx) error {
	in := certs.RegisterRequest{Source: certs.SourceHelper}
	var err error
	if in.Certificate, err = base64.StdEncoding.DecodeString(strings.TrimSpace(c.FormValue("certificate"))); err != nil {
		in.Certificate = []byte(c.FormValue("certificate")) // PEM, or something Register names
	}
	for _, v := range formValues(c, "chain") {
		b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(v))
		if err != nil {
			b = []byte(v)
		}
		in.Chain = append(in.Chain, b)
	}
	cert, err := s.certs.Register(c.UserContext(), httpx.Principal(c), in)
	return s.registered(c, cert, err)
}

func (s *Server) certificateRemoteSubmit(c *fiber.Ctx) error {
	got, err := s.certs.RegisterRemote(c.UserContext(), httpx.Principal(c), c.FormValue("account"))
	if err != nil {
		return s.certificateRefused(c, err)
	}
	return s.renderCertificates(c, fiber.StatusOK, fmt.Sprintf("Đã đăng ký %d chứng thư số của tài khoản ký số từ xa.", len(got)), nil)
}

func (s *Server) certificateRemoveSubmit(c *fiber.Ctx) error {
	id, err := httpx.PathID(c, "id")
	if err != nil {
		return err
	}
	if err := s.certs.Remove(c.UserContext(), httpx.Principal(c), id); err != nil {
		return s.certificateRefused(c, err)
	}
	return s.renderCertificates(c, fiber.StatusOK, "Đã gỡ chứng thư số khỏi tài khoản của bạn.", nil)
}

// heldCertificatesPage is the administrator's list: who holds which
// certificate, soonest expiry first.
func (s *Server) heldCertificatesPage(c *fiber.Ctx) error {
	held, err := s.certs.Held(c.UserContext(), httpx.Principal(c))
	if err != nil {
		return err
	}
	d := s.page(c, "Chứng thư số của cán bộ")
	d.Wide = true
	now := time.Now()
	v := &certView{IsAdmin: true}
	for _, h := range held {
		v.Held = append(v.Held, heldRow{Holding: h, To: dateVN(h.NotAfter), SourceVI: certSources[h.Source],
			Expiring: h.Expiring(now), Expired: h.Expired(now)})
	}
	d.C = v
	return s.render(c, fiber.StatusOK, "certificates_admin", d)
}
