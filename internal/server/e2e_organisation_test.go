package server

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/hcm-edu/vanban/demo"
	"github.com/hcm-edu/vanban/internal/oidctest"
	"github.com/hcm-edu/vanban/internal/testenv"
	"github.com/hcm-edu/vanban/notify"
	"github.com/hcm-edu/vanban/orgimport"
)

// orgSchools is how many schools the spreadsheet adds to the demo's 4,
// five people each; the import of the city's 3,000 is measured by
// orgimport's BenchmarkImportCity rather than under the race detector here.
const orgSchools = 400

// writeOrganisation writes the spreadsheet of d as the template lays it
// out.
func writeOrganisation(t *testing.T, name string, d *orgimport.Data) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := orgimport.WriteXLSX(f, d, true, true); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestE2EBrowserOrganisation is issue 14's story in Chromium: the
// department's administrator imports a spreadsheet of the organisation,
// reads the two errors the check finds, imports the corrected file, and
// invites a school's clerk, who sets a password from the e-mail (mailpit)
// and logs in; the director logs in through the OpenID provider (its own
// process); a document restricted to the director is 404 to a colleague
// of the same unit, and its access history names the director.
func TestE2EBrowserOrganisation(t *testing.T) {
	smtp := testenv.RequireSMTP(t)
	mailer, err := notify.NewMailer(notify.SMTPConfig{Addr: smtp.Addr, From: "Văn bản điện tử <vanban@hcm.edu.vn>", TLS: "none"})
	if err != nil {
		t.Fatal(err)
	}
	stamp := time.Now().UnixNano()
	directorMail := fmt.Sprintf("giamdoc.%d@sgd.hcm.edu.vn", stamp)
	provider := oidctest.Start(t, oidctest.Options{Users: []oidctest.User{
		{Subject: "sub-giamdoc", Email: directorMail, EmailVerified: true, PreferredUsername: "giamdoc.sgd", Password: opPassword}}})
	env := newEnv(t, envOptions{mailer: mailer, oidc: provider})

	// The spreadsheet, and a copy with a bad code and an unknown parent.
	good, err := demo.Organisation(orgSchools, demo.StaffPerSchool)
	if err != nil {
		t.Fatal(err)
	}
	clerkMail := fmt.Sprintf("vanthu.tn1.%d@truong.hcm.edu.vn", stamp)
	for i := range good.Accounts {
		switch good.Accounts[i].Username {
		case "tn1.vanthu":
			good.Accounts[i].Email = clerkMail
		case "giamdoc.sgd": // matched by the OpenID provider's verified e-mail
			good.Accounts[i].Email = directorMail
		}
	}
	bad := &orgimport.Data{Units: append([]orgimport.UnitRow(nil), good.Units...), Accounts: good.Accounts}
	n := len(bad.Units)
	bad.Units[n-1].Code = "SAI.MA"
	bad.Units[n-2].ParentCode = "999.99.24.H29"
	goodPath, badPath := writeOrganisation(t, "to-chuc.xlsx", good), writeOrganisation(t, "to-chuc-loi.xlsx", bad)

	br := newE2EBrowser(t, env.baseURL, 4*time.Minute)
	ctx, must, find, navigate, submit, location := br.ctx, br.must, br.find, br.navigate, br.submit, br.location
	login := func(username, password string) {
		t.Helper()
		navigate("/login")
		if status := submit("log in "+username, chromedp.SendKeys(chromedp.ID("username"), username),
			chromedp.SendKeys(chromedp.ID("password"), password), chromedp.Click(chromedp.ID("login-submit"))); status != 200 || location().Path == "/login" {
			_, msg := find(".error")
			t.Fatalf("log in %s: %d (%q)", username, status, msg)
		}
	}
	logout := func() {
		t.Helper()
		must("log out", chromedp.Do(ctx, chromedp.Click(`form[action="/logout"] button`)))
		br.poll("the login page", `location.pathname === "/login" || location.pathname === "/"`)
	}
	login("admin", testPassword)

	// The check names both errors and writes nothing.
	navigate("/admin/import")
	must("choose the file with errors", chromedp.Do(ctx, chromedp.SetUploadFiles(`#import-file`, []string{badPath})))
	submit("Kiểm tra", chromedp.Click(chromedp.ID("import-check")))
	br.poll("the check's report", `!!document.getElementById("import-rows")`)
	errs, err := chromedp.Run(ctx, chromedp.Evaluate[string](`Array.from(document.querySelectorAll('tr[data-action="error"]')).map(r => r.innerText).join("\n")`))
	must("read the errors", err)
	rows, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('tr[data-action="error"]').length`))
	must("count the errors", err)
	if rows != 2 || !strings.Contains(errs, "SAI.MA") || !strings.Contains(errs, "999.99.24.H29") {
		t.Fatalf("the check's errors:\n%s", errs)
	}
	if ok, _ := find("#import-confirm"); ok {
		t.Fatal("a file with errors may be imported")
	}
	var units int
	env.db.Get(&units, `SELECT count(*) FROM units`)
	if units >= len(good.Units) {
		t.Fatalf("the check wrote units: %d", units)
	}

	// The corrected file: checked, then imported.
	must("choose the corrected file", chromedp.Do(ctx, chromedp.SetUploadFiles(`#import-file`, []string{goodPath})))
	submit("Kiểm tra", chromedp.Click(chromedp.ID("import-check")))
	br.poll("the confirmation", `!!document.getElementById("import-confirm")`)
	must("choose it again", chromedp.Do(ctx, chromedp.SetUploadFiles(`#import-confirm-file`, []string{goodPath})))
	if status := submit("Nhập dữ liệu", chromedp.Click(chromedp.ID("import-submit"))); status != 200 {
		_, msg := find(".error")
		t.Fatalf("import: %d (%q)", status, msg)
	}
	br.waitText("#import-report", "Kết quả nhập")
	env.db.Get(&units, `SELECT count(*) FROM units`)
	var accounts int
	env.db.Get(&accounts, `SELECT count(*) FROM users`)
	if units != len(good.Units) || accounts != len(good.Accounts) {
		t.Fatalf("after the import: %d units, %d accounts; the file has %d and %d", units, accounts, len(good.Units), len(good.Accounts))
	}

	// The school's clerk is invited and sets a password from the e-mail.
	var clerkID int64
	if err := env.db.Get(&clerkID, `SELECT id FROM users WHERE username = 'tn1.vanthu'`); err != nil {
		t.Fatal(err)
	}
	navigate(fmt.Sprintf("/admin/people/%d", clerkID))
	if status := submit("invite", chromedp.Click(chromedp.ID("person-invite"))); status != 200 {
		_, msg := find(".error")
		t.Fatalf("invite: %d (%q)", status, msg)
	}
	mails := smtp.WaitMessages(t, clerkMail, 1, 30*time.Second)
	m := linkRE.FindStringSubmatch(mails[0].Text)
	if m == nil {
		t.Fatalf("no link in the invitation:\n%s", mails[0].Text)
	}
	logout()
	navigate("/account/set-password?token=" + m[1])
	br.waitText("#link-username", "tn1.vanthu")
	const clerkPassword = "mat-khau-van-thu-truong-1"
	if status := submit("set the password", chromedp.SendKeys(chromedp.ID("password"), clerkPassword),
		chromedp.SendKeys(chromedp.ID("password2"), clerkPassword), chromedp.Click(chromedp.ID("password-submit"))); status != 200 {
		_, msg := find(".error")
		t.Fatalf("set the password: %d (%q)", status, msg)
	}
	login("tn1.vanthu", clerkPassword)
	logout()

	// The director logs in through the OpenID provider.
	navigate("/login")
	submit("the OpenID button", chromedp.Click(chromedp.ID("oidc-login")))
	if status := submit("log in at the provider", chromedp.SendKeys(chromedp.ID("username"), "giamdoc.sgd"),
		chromedp.SendKeys(chromedp.ID("password"), opPassword), chromedp.Click(`button[type="submit"]`)); status != 200 {
		t.Fatalf("after the provider: %d at %s", status, location())
	}
	if loc := location(); !strings.HasPrefix(loc.String(), env.baseURL) || loc.Path == "/login" {
		_, msg := find(".error")
		t.Fatalf("OpenID login ended at %s (%q)", loc, msg)
	}

	// A document restricted to the director: 404 to a colleague, and its
	// history names the director.
	clerkToken := env.login("vanthu.sgd")
	d := env.unsignedPlan(t, clerkToken)
	var directorID int64
	env.db.Get(&directorID, `SELECT id FROM users WHERE username = 'giamdoc.sgd'`)
	env.call(t, "PUT", fmt.Sprintf("/api/v1/documents/%d/restriction", d.ID), clerkToken,
		map[string]any{"restricted": true, "users": []int64{directorID}}, 200, nil)
	if status := navigate(fmt.Sprintf("/documents/%d", d.ID)); status != 200 {
		t.Fatalf("the director opens the restricted document: %d", status)
	}
	colleague := env.login("chuyenvien.sgd")
	if status, _, _ := env.request("GET", fmt.Sprintf("/api/v1/documents/%d", d.ID), colleague, nil, ""); status != 404 {
		t.Fatalf("a colleague of the same unit reads the restricted document: %d", status)
	}
	var history struct {
		Items []struct {
			UserName string `json:"user_name"`
			Kind     string `json:"kind"`
		} `json:"items"`
	}
	body := env.call(t, "GET", fmt.Sprintf("/api/v1/documents/%d/access-history", d.ID), clerkToken, nil, 200, &history)
	if !strings.Contains(string(body), env.fullName(t, "giamdoc.sgd")) {
		t.Fatalf("the access history does not name the director: %s", body)
	}
}
