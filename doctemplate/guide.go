package doctemplate

// The guide text of each model, for a form without a body: the parts
// Appendix III's model and the department's practice expect, with dotted
// places for the drafter to fill in Word. "./." ends the text as in the
// models.

const dots = "…………………………"

// some is a shorter place, inside a sentence.
const some = "…………"

// guide is the body of kind k when the drafter typed none.
func guide(k kind, u Unit) []string {
	switch k.code {
	case "CV": // Mẫu 1.5
		return []string{
			"Thực hiện " + dots + ";",
			some + " đề nghị " + some + " như sau:",
			"1. " + dots + ".",
			"2. " + dots + ".",
			dots + "./.",
		}
	case "KH": // Mẫu 1.4, with the parts a plan has
		return []string{
			"Căn cứ " + dots + ";",
			"Căn cứ " + dots + ";",
			some + " xây dựng kế hoạch " + some + " như sau:",
			"I. MỤC ĐÍCH, YÊU CẦU",
			"1. Mục đích",
			"- " + dots + ".",
			"2. Yêu cầu",
			"- " + dots + ".",
			"II. NỘI DUNG, NHIỆM VỤ",
			"1. " + dots,
			"- " + dots + ".",
			"III. TỔ CHỨC THỰC HIỆN",
			"1. " + dots,
			"- " + dots + ".",
			"Trên đây là kế hoạch " + some + "./.",
		}
	case "QĐ": // Mẫu 1.2
		return []string{
			"Căn cứ " + dots + ";",
			"Căn cứ " + dots + ";",
			"Theo đề nghị của " + dots + ".",
			"QUYẾT ĐỊNH:",
			"Điều 1. " + dots + ".",
			"Điều 2. Quyết định này có hiệu lực kể từ ngày ký.",
			"Điều 3. Chánh Văn phòng, " + some + " chịu trách nhiệm thi hành Quyết định này./.",
		}
	case "TB":
		return []string{
			some + " thông báo " + some + " như sau:",
			"1. " + dots + ".",
			"2. " + dots + ".",
			dots + "./.",
		}
	case "BC":
		return []string{
			"I. KẾT QUẢ THỰC HIỆN",
			"1. " + dots,
			"- " + dots + ".",
			"II. TỒN TẠI, HẠN CHẾ VÀ NGUYÊN NHÂN",
			"- " + dots + ".",
			"III. PHƯƠNG HƯỚNG, NHIỆM VỤ THỜI GIAN TỚI",
			"- " + dots + ".",
			"IV. KIẾN NGHỊ, ĐỀ XUẤT",
			"- " + dots + "./.",
		}
	case "TTr":
		return []string{
			"Căn cứ " + dots + ";",
			some + " kính trình " + some + " xem xét, phê duyệt " + some + " như sau:",
			"I. SỰ CẦN THIẾT",
			"- " + dots + ".",
			"II. NỘI DUNG ĐỀ XUẤT",
			"- " + dots + ".",
			"III. KIẾN NGHỊ",
			"Kính trình " + dots + " xem xét, phê duyệt./.",
		}
	case "GM": // Mẫu 1.7
		return []string{
			"Trân trọng kính mời: " + dots,
			"Tới dự " + dots + ".",
			"Chủ trì: " + dots + ".",
			"Thời gian: " + dots + ".",
			"Địa điểm: " + dots + ".",
			dots + "./.",
		}
	case "BB": // Mẫu 1.9
		return []string{
			"Thời gian bắt đầu: " + dots,
			"Địa điểm: " + dots,
			"Thành phần tham dự: " + dots,
			"Chủ trì (chủ tọa): " + dots,
			"Thư ký (người ghi biên bản): " + dots,
			"Nội dung (theo diễn biến cuộc họp/hội nghị/hội thảo):",
			dots,
			"Cuộc họp (hội nghị, hội thảo) kết thúc vào …. giờ …., ngày …. tháng …. năm …../.",
		}
	}
	return []string{ // HD, CTr, PA: Mẫu 1.4
		"Căn cứ " + dots + ";",
		"I. " + dots,
		"1. " + dots,
		"- " + dots + ".",
		"II. " + dots,
		"- " + dots + "./.",
	}
}
