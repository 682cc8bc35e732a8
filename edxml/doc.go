// Package edxml builds and parses edXML packages and status messages as
// QCVN 102:2016/BTTTT defines them for the national document
// interconnection axis (trục liên thông văn bản quốc gia). It is pure: no
// database, no network. Every message carries an enveloped XML-DSig
// signature (RSA-SHA256, exclusive C14N, the signer's chain in
// KeyInfo/X509Data) over the whole edXML document, so a change to the
// header or to an attachment after signing fails verification. Parse checks
// the signature only; which roots to trust is the caller's decision
// (Package.VerifyChain, Status.VerifyChain).
//
// # Where the names come from
//
// The standard's own XSD was not at hand. Element names and their nesting
// follow public implementations found by code search: a Java SDK for the
// Bkav eDoc axis (packages com.bkav.edoc.sdk and com.bkav.edoc.service:
// Header, Organization, ResponseFor, MessageStatus, Business, StaffInfo,
// Signature, DateUtils), a TypeScript builder that says it mirrors the
// Government Office's .NET SDK sample "edoc_new.edxml", a Java gateway to
// the axis (ManualEdxmlBuilder), a C# document system's status builder and a
// Go tool that sends signed edXML reports. Confirmed by at least two of
// them:
//
//   - namespace http://www.mic.gov.vn/TBT/QCVN_102_2016, prefix edXML; root
//     edXML holding edXML:edXMLEnvelope (edXMLHeader, edXMLBody) and, after
//     the envelope, the unprefixed AttachmentEncoded;
//   - MessageHeader: From and To (OrganId, OrganizationInCharge, OrganName,
//     OrganAdd, Email, Telephone, Fax, Website), Code (CodeNumber,
//     CodeNotation), PromulgationInfo (Place, PromulgationDate),
//     DocumentType (Type, TypeName), Subject, Content, SignerInfo
//     (Competence, Position, FullName), DueDate, OtherInfo/Priority,
//     ResponseFor (OrganId, Code, PromulgationDate, DocumentId),
//     SteeringType, DocumentId, in that order;
//   - TraceHeaderList: TraceHeader (OrganId, Timestamp) and Bussiness (sic:
//     BussinessDocType, BussinessDocReason, StaffInfo, Paper); StaffInfo:
//     Department, Staff, Mobile, Email;
//   - edXMLBody/edXMLManifest/Reference with xlink:href="cid:…";
//     AttachmentEncoded/Attachment: ContentType, ContentId, Description,
//     ContentTransferEncoded (base64), AttachmentName;
//   - status: edXMLHeader/Status with From, ResponseFor, StaffInfo,
//     StatusCode, Description, Timestamp;
//   - dates yyyy/MM/dd, timestamps yyyy/MM/dd HH:mm:ss (Vietnam time);
//   - an XML-DSig Signature (xmldsig namespace, unprefixed) as a child of
//     edXMLHeader.
//
// Not confirmed, and chosen here: Status/To (no source has it; written after
// From); that the signature's Reference is URI="" over the whole document,
// attachments included (one source signs with URI="" and the enveloped
// transform; none shows the scope on a package with attachments); whether
// ContentId carries "cid:" (sources differ: written bare, read either way);
// whether OtherInfo's other children (SphereOfPromulgation, PageAmount, …)
// are mandatory for the axis (not written); SteeringType "none": sources
// write 0, DOMAIN.md says 1 (0 is read as none, none is written as 1).
package edxml
