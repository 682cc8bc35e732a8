package documents

import (
	"slices"
	"strings"

	"github.com/hcm-edu/vanban/auth"
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
	// Participant is an SQL condition under which the user :user takes
	// part in the outgoing draft d of :user's unit (a reviewer, the signer
	// it was submitted to, a meeting's officer for its minutes), so sees it
	// before it is signed; see visible.
	Participant string
	// SubmittedTo is an SQL expression on d: the id of the user a draft
	// was submitted to for signature, NULL when it was not. Only that user
	// signs it (signatureRule). At most one link gives it.
	SubmittedTo string
	// SignHold is an SQL expression on d: NULL, or why (in Vietnamese) the
	// competent person may not sign d now (a draft its drafter withdrew).
	// At most one link gives it.
	SignHold string
}

// AddLink tells s about another package's rows. Call it while wiring up,
// before s serves; adding the same link again changes nothing.
func (s *Service) AddLink(l Link) {
	if !slices.Contains(s.links, l) {
		s.links = append(s.links, l)
	}
}

// visible is the SQL condition for documents the acting user may see: the
// ones the user's unit (:unit) issued, and the ones a link reaches
// (delivered to it, issued or relayed, and not taken back by an accepted
// recall). An outgoing draft, before the competent person signs it, is
// seen inside its unit only by its drafter, those who take part in it
// (Link.Participant: reviewers, the signer it was submitted to) and the
// unit's signers (:lead; the leaders stand in for the head of section
// until the organisation has sections); once signed, the whole unit sees
// it, the clerk who registers it included. A restricted document is
// seen inside its unit only by those restrictionSeen names. What a link
// reaches is another unit's document: a unit sees its own documents by
// the first condition alone, so that no delivery widens a restriction.
// It is the one place that decides; args gives its parameters.
func (s *Service) visible() string {
	return s.visibleFor(`d.unit_id = :unit AND ` + s.ownSeen())
}

// ownSeen is the condition that :user sees d when d is a document of
// :user's unit: draftSeen and restrictionSeen.
func (s *Service) ownSeen() string {
	return s.draftSeen() + ` AND ` + s.restrictionSeen()
}

// visibleFor is visible with own as the condition for the unit's own documents.
func (s *Service) visibleFor(own string) string {
	var reach []string
	for _, l := range s.links {
		if l.Reach != "" {
			reach = append(reach, l.Reach)
		}
	}
	if len(reach) == 0 {
		return `((` + own + `))`
	}
	return `((` + own + `) OR (d.unit_id <> :unit AND (` + strings.Join(reach, ` OR `) + `)))`
}

// restrictionSeen is the condition that :user sees d as far as its
// restriction goes (documents.restricted, document_grants): d is not
// restricted, or :user created it, is named in a grant, belongs to a
// section named in one, signed it, or takes part in it as a draft
// (Link.Participant: the signer it was submitted to, its reviewers).
func (s *Service) restrictionSeen() string {
	conds := []string{`NOT d.restricted`, `d.created_by = :user`,
		`EXISTS (SELECT 1 FROM document_grants rg WHERE rg.document_id = d.id AND (rg.user_id = :user
		  OR rg.section_id = (SELECT ru.section_id FROM users ru WHERE ru.id = :user)))`,
		`EXISTS (SELECT 1 FROM document_signatures rs WHERE rs.document_id = d.id AND rs.signed_by = :user)`}
	for _, l := range s.links {
		if l.Participant != "" {
			conds = append(conds, l.Participant)
		}
	}
	return `(` + strings.Join(conds, ` OR `) + `)`
}

// RestrictionSQL is the SQL condition, over documents d and the named
// parameter :user, that the user sees d as far as its restriction goes:
// for lists other packages make of a unit's documents (the clerk's queue,
// the registers), so that a restricted document's title does not show to
// those it is hidden from.
func (s *Service) RestrictionSQL() string { return s.restrictionSeen() }

// draftSeen is the condition that :user sees d when d is a document of
// :user's unit: anything but an unsigned outgoing draft, or such a draft
// :user drafted, takes part in or, as a leader (:lead), may be asked to sign.
func (s *Service) draftSeen() string {
	conds := []string{`d.status <> 'draft'`, `d.origin <> 'outgoing'`, `d.created_by = :user`, `:lead`}
	for _, l := range s.links {
		if l.Participant != "" {
			conds = append(conds, l.Participant)
		}
	}
	return `(` + strings.Join(conds, ` OR `) + `)`
}

// seeArgs are the parameters of visible for p.
func seeArgs(p auth.Principal) map[string]any {
	return map[string]any{"unit": p.UnitID, "user": p.UserID, "lead": p.Has(auth.RoleSigner)}
}

// SeenBy is the visible condition for the unit whose id is the SQL
// expression unit, on a documents row d, for the queries of other packages
// (meetings: what a meeting may show its people). It is the unit's sight,
// not a person's: drafts are not narrowed to their participants here.
func (s *Service) SeenBy(unit string) string {
	return strings.ReplaceAll(s.visibleFor(`d.unit_id = :unit`), ":unit", unit)
}

// signHold is the SQL expression of why d may not be signed now (see
// Link.SignHold).
func (s *Service) signHold() string {
	for _, l := range s.links {
		if l.SignHold != "" {
			return `(` + l.SignHold + `)`
		}
	}
	return `CAST(NULL AS text)`
}

// submittedTo is the SQL expression of the user a draft d was submitted
// to for signature (see Link.SubmittedTo).
func (s *Service) submittedTo() string {
	for _, l := range s.links {
		if l.SubmittedTo != "" {
			return `(` + l.SubmittedTo + `)`
		}
	}
	return `CAST(NULL AS bigint)`
}

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
