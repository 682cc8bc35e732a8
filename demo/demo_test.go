package demo_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/demo"
	"github.com/hcm-edu/vanban/internal/testenv"
	"github.com/hcm-edu/vanban/org"
	"github.com/jmoiron/sqlx"
)

func snapshot(t *testing.T, db *sqlx.DB) (units, users []string) {
	t.Helper()
	if err := db.Select(&units, `SELECT u.code || '|' || u.name || '|' || u.abbreviation || '|' || u.kind || '|' || u.school_level || '|' || COALESCE(p.code, '')
		FROM units u LEFT JOIN units p ON p.id = u.parent_id ORDER BY u.id`); err != nil {
		t.Fatal(err)
	}
	if err := db.Select(&users, `SELECT s.username || '|' || s.full_name || '|' || s.position || '|' || n.code || '|' || array_to_string(s.roles, ',')
		FROM users s JOIN units n ON n.id = s.unit_id ORDER BY s.id`); err != nil {
		t.Fatal(err)
	}
	return
}

// TestSeedImportMakesTheSameOrganisation: seed-demo goes through the
// import and makes, unit for unit and person for person (ids and order
// too), what Seed makes; the demo accounts log in; again, nothing changes.
func TestSeedImportMakesTheSameOrganisation(t *testing.T) {
	ctx := context.Background()
	const schools = 40
	direct, _ := testenv.NewDB(t)
	if _, err := demo.Seed(ctx, org.NewStore(direct), auth.NewService(direct, time.Hour), "demo-password-42", schools); err != nil {
		t.Fatal(err)
	}
	wantUnits, wantUsers := snapshot(t, direct)

	db, _ := testenv.NewDB(t)
	users := auth.NewService(db, time.Hour)
	res, err := demo.SeedImport(ctx, db, users, "demo-password-42", schools)
	if err != nil {
		t.Fatal(err)
	}
	if res.Units != 32+schools || res.Schools != 4+schools || len(res.Users) != 14 {
		t.Errorf("result: %d units, %d schools, %d users", res.Units, res.Schools, len(res.Users))
	}
	gotUnits, gotUsers := snapshot(t, db)
	if len(gotUnits) != len(wantUnits) || len(gotUsers) != len(wantUsers)+schools*demo.StaffPerSchool {
		t.Fatalf("%d units, %d users; want %d and %d", len(gotUnits), len(gotUsers), len(wantUnits), len(wantUsers)+schools*demo.StaffPerSchool)
	}
	for i := range wantUnits {
		if gotUnits[i] != wantUnits[i] {
			t.Errorf("unit %d: %q, want %q", i, gotUnits[i], wantUnits[i])
		}
	}
	for i := range wantUsers {
		if gotUsers[i] != wantUsers[i] {
			t.Errorf("user %d: %q, want %q", i, gotUsers[i], wantUsers[i])
		}
	}
	if _, err := users.Login(ctx, "vanthu.thcs1", "demo-password-42", "127.0.0.1", "web"); err != nil {
		t.Errorf("demo login: %v", err)
	}
	// Quận 1's sections have their heads, who give the section's incoming
	// documents to its people.
	var heads []string
	if err := db.Select(&heads, `SELECT s.name || ': ' || u.username FROM sections s JOIN users u ON u.id = s.head_user_id
		ORDER BY s.name`); err != nil {
		t.Fatal(err)
	}
	if want := "[Bộ phận Giáo dục Tiểu học: phutrach.q1 Bộ phận Kế hoạch - Tài chính: chuyenvienkh.q1]"; fmt.Sprint(heads) != want {
		t.Errorf("section heads %v, want %s", heads, want)
	}
	if _, err := demo.SeedImport(ctx, db, users, "another-password-1", schools); err != nil {
		t.Fatal(err)
	}
	againUnits, againUsers := snapshot(t, db)
	if len(againUnits) != len(gotUnits) || len(againUsers) != len(gotUsers) {
		t.Errorf("again: %d units, %d users", len(againUnits), len(againUsers))
	}
	if _, err := users.Login(ctx, "vanthu.thcs1", "demo-password-42", "127.0.0.1", "web"); err != nil {
		t.Errorf("the second run changed a password: %v", err)
	}
}

// BenchmarkSeedImportCity is seed-demo --schools 3000: a city of 3,032
// units and 15,010 accounts made through the import.
func BenchmarkSeedImportCity(b *testing.B) {
	ctx := context.Background()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		db, _ := testenv.NewDB(b)
		users := auth.NewService(db, time.Hour)
		b.StartTimer()
		res, err := demo.SeedImport(ctx, db, users, "demo-password-42", 3000)
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		var n int
		db.Get(&n, `SELECT count(*) FROM users`)
		if res.Units != 3032 || n != 15010 {
			b.Fatalf("%d units, %d users", res.Units, n)
		}
		db.Close()
	}
}
