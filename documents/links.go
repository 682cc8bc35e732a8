package documents

import (
	"slices"
	"strings"
)

// Link is how another package's rows bear on documents. The packages that
// own those rows tell the Service when it is wired up, so that documents
// names none of their tables.
type Link struct {
	// Reach is an SQL condition under which a unit sees a document it did
	// not issue (a delivery to it, say): d is the document, :unit the
	// acting unit's id.
	Reach string
	// Objects is a query whose object_key column lists the stored objects
	// the package's rows name; SweepOrphans keeps them.
	Objects string
	// Office is an SQL condition under which :user holds :office (a
	// MeetingOffice) for the document :doc: the office in whose name
	// SignAsMeetingOfficer signs.
	Office string
}

// AddLink tells s about another package's rows. Call it while wiring up,
// before s serves; adding the same link again changes nothing.
func (s *Service) AddLink(l Link) {
	if !slices.Contains(s.links, l) {
		s.links = append(s.links, l)
	}
}

// visible is the SQL condition for documents the acting unit may see: the
// ones it issued, and the ones a link reaches (delivered to it, issued or
// relayed, and not taken back by an accepted recall). It is the one place
// that decides.
func (s *Service) visible() string {
	conds := []string{`d.unit_id = :unit`}
	for _, l := range s.links {
		if l.Reach != "" {
			conds = append(conds, l.Reach)
		}
	}
	return `(` + strings.Join(conds, ` OR `) + `)`
}

// SeenBy is the visible condition for the unit whose id is the SQL
// expression unit, on a documents row d, for the queries of other packages
// (meetings: what a meeting may show its people).
func (s *Service) SeenBy(unit string) string { return strings.ReplaceAll(s.visible(), ":unit", unit) }

// objectRefs lists every row that names a stored object: document
// versions, signature and seal images, and what the links list (the files
// uploaded for a meeting, drafts that are not documents). An object none
// of them names is an orphan.
func (s *Service) objectRefs() string {
	q := []string{`SELECT object_key FROM document_versions`, `SELECT object_key FROM signature_images`, attachmentObjects}
	for _, l := range s.links {
		if l.Objects != "" {
			q = append(q, l.Objects)
		}
	}
	return strings.Join(q, "\n\tUNION ")
}
