package meetings

import "github.com/hcm-edu/vanban/documents"

// documentLink tells documents how meetings' rows bear on documents, so
// that documents names none of meetings' tables: the stored objects they
// name (files uploaded for a meeting, drafts that are not documents, and
// packets), which the orphan sweep must keep; and who holds which office
// for a meeting's minutes, in whose name SignAsMeetingOfficer signs. New
// adds it to the documents service.
var documentLink = documents.Link{
	Objects: `SELECT object_key FROM meeting_files
	UNION SELECT object_key FROM meeting_packets`,
	Office: `EXISTS (SELECT 1 FROM meetings m WHERE m.minutes_document_id = :doc
	  AND ((:office = 'chair' AND m.chair_id = :user) OR (:office = 'secretary' AND m.secretary_id = :user)))`,
	// The meeting's organiser, chair and secretary see its unsigned drafts
	// (invitation, minutes, conclusion), which they prepare and sign.
	Participant: `EXISTS (SELECT 1 FROM meetings pm WHERE d.id IN (pm.minutes_document_id, pm.invitation_document_id, pm.conclusion_document_id)
	  AND :user IN (pm.chair_id, pm.secretary_id, pm.created_by))`,
}
