"""Wording of administrative documents: kinds, summaries, legal bases, body sentences.

Templates take ``str.format`` fields filled by :mod:`samples.administrative`: ``{unit}``
("huyện Lạng Giang"), ``{body}`` ("Ủy ban nhân dân huyện Lạng Giang"), ``{short}``
("UBND huyện"), ``{level}`` ("huyện"), ``{year}``, ``{prev}``, ``{month}``, ``{quarter}``,
``{village}``, ``{person}`` ("ông Nguyễn Văn An"), ``{dept}`` (a department in sentence
case), ``{dept_head}`` ("Trưởng phòng Nội vụ"), ``{n}``, ``{n1}``, ``{n2}``, ``{pct}``,
``{day}`` (a date before the document), ``{next}`` (a date after it).
"""

from __future__ import annotations

import re
from typing import NamedTuple


class Kind(NamedTuple):
    """A kind of document: printed title (empty for a công văn), symbol abbreviation, name
    in sentences, and its weight in the mix."""

    title: str
    abbr: str
    name: str
    weight: float


KINDS: tuple[Kind, ...] = (
    Kind("QUYẾT ĐỊNH", "QĐ", "Quyết định", 30),
    Kind("", "", "Công văn", 22),
    Kind("TỜ TRÌNH", "TTr", "Tờ trình", 8),
    Kind("THÔNG BÁO", "TB", "Thông báo", 8),
    Kind("BÁO CÁO", "BC", "Báo cáo", 8),
    Kind("KẾ HOẠCH", "KH", "Kế hoạch", 7),
    Kind("CHỈ THỊ", "CT", "Chỉ thị", 4),
    Kind("NGHỊ QUYẾT", "NQ", "Nghị quyết", 4),
    Kind("GIẤY MỜI", "GM", "Giấy mời", 5),
    Kind("HƯỚNG DẪN", "HD", "Hướng dẫn", 4),
)

SUBJECTS: dict[str, tuple[str, ...]] = {
    "QĐ": (
        "Về việc thành lập Tổ công tác số hóa hồ sơ, kết quả giải quyết thủ tục hành chính "
        "năm {year}",
        "Về việc phê duyệt Kế hoạch lựa chọn nhà thầu công trình: Đường giao thông nông thôn "
        "{village}",
        "Về việc công bố danh mục thủ tục hành chính tiếp nhận tại Bộ phận Một cửa {unit}",
        "Về việc bổ nhiệm công chức lãnh đạo đối với {person}",
        "Về việc giao đất ở cho hộ {person} tại {village}",
        "Về việc ban hành Quy chế làm việc của {body}",
        "Về việc khen thưởng các tập thể, cá nhân có thành tích xuất sắc trong công tác cải "
        "cách hành chính năm {prev}",
        "Ban hành Kế hoạch kiểm tra công tác cải cách hành chính năm {year}",
        "Phê duyệt dự toán kinh phí chuyển đổi số năm {year}",
        "Về việc kiện toàn Ban Chỉ đạo thực hiện Đề án 06 {unit}",
    ),
    "": (
        "V/v đôn đốc thực hiện số hóa hồ sơ, kết quả giải quyết thủ tục hành chính",
        "V/v triển khai thực hiện Đề án 06 năm {year}",
        "V/v đăng ký bổ sung nội dung trình HĐND {level} tại kỳ họp thứ {n}",
        "V/v tăng cường công tác phòng, chống thiên tai năm {year}",
        "V/v cung cấp thông tin phục vụ công tác thống kê",
        "V/v rà soát, cập nhật dữ liệu dân cư trên địa bàn",
        "V/v góp ý dự thảo Quyết định của {body}",
        "V/v tổ chức tiếp công dân định kỳ tháng {month}",
        "V/v đề nghị thẩm định hồ sơ giao đất tại {village}",
    ),
    "TTr": (
        "Về việc đề nghị phê duyệt dự toán kinh phí số hóa hồ sơ năm {year}",
        "Đề nghị ban hành Quyết định quy định giá dịch vụ thu gom rác thải sinh hoạt",
        "Về việc đề nghị công nhận {unit} đạt chuẩn nông thôn mới năm {year}",
        "Đề nghị thẩm định, phê duyệt Đề án vị trí việc làm",
    ),
    "TB": (
        "Kết luận của Chủ tịch {short} tại cuộc họp giao ban tháng {month} năm {year}",
        "Về việc tổ chức tiếp công dân định kỳ tháng {month} năm {year}",
        "Lịch làm việc của Thường trực {short} tuần {n}",
        "Về việc thu hồi đất để thực hiện dự án đường giao thông {village}",
    ),
    "BC": (
        "Kết quả thực hiện công tác cải cách hành chính {quarter} năm {year}",
        "Tình hình số hóa hồ sơ, kết quả giải quyết thủ tục hành chính 6 tháng đầu năm {year}",
        "Về việc điều chỉnh dự toán ngân sách của một số đơn vị dự toán năm {year}",
        "Tổng kết công tác năm {prev}, phương hướng nhiệm vụ năm {year}",
    ),
    "KH": (
        "Triển khai thực hiện Đề án 06 trên địa bàn {unit} năm {year}",
        "Kiểm tra công tác văn thư, lưu trữ năm {year}",
        "Tuyên truyền cải cách hành chính năm {year}",
        "Chuyển đổi số {unit} năm {year}",
    ),
    "CT": (
        "Về tăng cường kỷ luật, kỷ cương hành chính trong giải quyết thủ tục hành chính",
        "Về đẩy mạnh thực hiện thủ tục hành chính trên môi trường điện tử",
        "Về tăng cường công tác phòng cháy, chữa cháy mùa hanh khô năm {year}",
    ),
    "NQ": (
        "Về việc thông qua dự toán ngân sách địa phương năm {year}",
        "Về kế hoạch đầu tư công năm {year}",
        "Về chương trình giám sát của Hội đồng nhân dân {unit} năm {year}",
        "Phê chuẩn quyết toán ngân sách địa phương năm {prev}",
    ),
    "GM": (
        "Dự Hội nghị sơ kết công tác cải cách hành chính {quarter} năm {year}",
        "Về việc dự họp bàn triển khai Đề án 06",
        "Dự Hội nghị tổng kết công tác năm {prev}",
    ),
    "HD": (
        "Thực hiện quy trình số hóa hồ sơ, kết quả giải quyết thủ tục hành chính",
        "Về việc lập hồ sơ và nộp lưu hồ sơ, tài liệu vào Lưu trữ cơ quan năm {year}",
        "Tổ chức các hoạt động Tết Trung thu cho thiếu nhi năm {year}",
    ),
}

# Legal bases with the year they appeared (a document cites only what existed).
BASES: tuple[tuple[int, str], ...] = (
    (
        2019,
        "Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015; Luật sửa đổi, "
        "bổ sung một số điều của Luật Tổ chức Chính phủ và Luật Tổ chức chính quyền địa "
        "phương ngày 22 tháng 11 năm 2019;",
    ),
    (2015, "Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015;"),
    (2015, "Căn cứ Luật Ban hành văn bản quy phạm pháp luật ngày 22 tháng 6 năm 2015;"),
    (
        2020,
        "Căn cứ Nghị định số 30/2020/NĐ-CP ngày 05 tháng 3 năm 2020 của Chính phủ về công "
        "tác văn thư;",
    ),
    (
        2018,
        "Căn cứ Nghị định số 61/2018/NĐ-CP ngày 23 tháng 4 năm 2018 của Chính phủ về thực "
        "hiện cơ chế một cửa, một cửa liên thông trong giải quyết thủ tục hành chính;",
    ),
    (
        2020,
        "Căn cứ Nghị định số 45/2020/NĐ-CP ngày 08 tháng 4 năm 2020 của Chính phủ về thực "
        "hiện thủ tục hành chính trên môi trường điện tử;",
    ),
    (2024, "Căn cứ Luật Đất đai ngày 18 tháng 01 năm 2024;"),
    (2013, "Căn cứ Luật Đất đai ngày 29 tháng 11 năm 2013;"),
    (2008, "Căn cứ Luật Cán bộ, công chức ngày 13 tháng 11 năm 2008;"),
    (2015, "Căn cứ Luật Ngân sách nhà nước ngày 25 tháng 6 năm 2015;"),
    (
        2022,
        "Căn cứ Quyết định số 766/QĐ-TTg ngày 23 tháng 6 năm 2022 của Thủ tướng Chính phủ "
        "phê duyệt Bộ chỉ số chỉ đạo, điều hành và đánh giá chất lượng phục vụ người dân, "
        "doanh nghiệp trong thực hiện thủ tục hành chính, dịch vụ công theo thời gian thực "
        "trên môi trường điện tử;",
    ),
)

PROPOSAL = (
    "Theo đề nghị của {dept_head} tại Tờ trình số {n}/TTr-{dabbr} ngày {day}.",
    "Xét đề nghị của {dept_cap}.",
)

SENTENCES: tuple[str, ...] = (
    "Trong thời gian qua, công tác cải cách hành chính trên địa bàn {unit} đã đạt được những "
    "kết quả nhất định, góp phần nâng cao chất lượng phục vụ người dân, doanh nghiệp.",
    "Tuy nhiên, việc triển khai ở một số cơ quan, đơn vị còn chậm, chưa đồng bộ; tỷ lệ hồ sơ "
    "được số hóa còn thấp so với chỉ tiêu được giao.",
    "Trong {quarter} năm {year}, toàn {unit} đã tiếp nhận {n1} hồ sơ thủ tục hành chính, trong "
    "đó giải quyết trước và đúng hạn {n2} hồ sơ, đạt tỷ lệ {pct}%.",
    "Giao {dept} chủ trì, phối hợp với các cơ quan, đơn vị liên quan tổ chức triển khai thực "
    "hiện, định kỳ báo cáo kết quả về {short} trước ngày {n} hằng tháng.",
    "Các cơ quan, đơn vị căn cứ chức năng, nhiệm vụ được giao chủ động xây dựng kế hoạch và tổ "
    "chức thực hiện có hiệu quả các nội dung nêu trên.",
    "Kinh phí thực hiện từ nguồn ngân sách {level} được giao trong dự toán năm {year} và các "
    "nguồn kinh phí hợp pháp khác (nếu có).",
    "Trong quá trình thực hiện, nếu có khó khăn, vướng mắc, các cơ quan, đơn vị kịp thời báo "
    "cáo về {short} (qua {dept}) để xem xét, giải quyết.",
    "Đến nay, đã có {n1} hồ sơ được số hóa và đồng bộ lên Hệ thống thông tin giải quyết thủ "
    "tục hành chính của tỉnh, đạt {pct}%.",
    "Việc tiếp nhận, giải quyết thủ tục hành chính được thực hiện đúng quy định tại Nghị định "
    "số 61/2018/NĐ-CP của Chính phủ.",
    "Đẩy mạnh tuyên truyền để người dân, doanh nghiệp biết và sử dụng dịch vụ công trực tuyến, "
    "thanh toán trực tuyến.",
    "Thủ trưởng các cơ quan, đơn vị chịu trách nhiệm trước {short} nếu để xảy ra chậm trễ, sai "
    "sót trong quá trình thực hiện.",
    "Rà soát, cập nhật đầy đủ, chính xác thông tin của công dân vào Cơ sở dữ liệu quốc gia về "
    "dân cư; hoàn thành trước ngày {next}.",
    "Bố trí cán bộ, công chức có đủ năng lực làm việc tại Bộ phận Một cửa; không để hồ sơ tồn "
    "đọng, quá hạn.",
    "Tổng kinh phí thực hiện là {money} đồng, được bố trí từ nguồn ngân sách {level} năm {year}.",
    "Tổ chức kiểm tra, đánh giá kết quả thực hiện tại {n} cơ quan, đơn vị trên địa bàn.",
    "Tổng hợp kết quả, báo cáo {short} trước ngày {next}.",
)

OPENERS: dict[str, tuple[str, ...]] = {
    "": (
        "Thực hiện Công văn số {n}/UBND-{u} ngày {day} của {parent_body}, để triển khai kịp "
        "thời, hiệu quả các nhiệm vụ được giao, {short} đề nghị các cơ quan, đơn vị thực "
        "hiện một số nội dung sau:",
        "Phúc đáp Công văn số {n}/{u} ngày {day} về việc đề nghị cung cấp thông tin, {short} "
        "có ý kiến như sau:",
    ),
    "TTr": (
        "Căn cứ Nghị định số 30/2020/NĐ-CP ngày 05 tháng 3 năm 2020 của Chính phủ về "
        "công tác văn thư, {short} kính trình {to} xem xét, quyết định một số nội dung "
        "như sau:",
        "Thực hiện nhiệm vụ được giao, {short} kính trình {to} xem xét, quyết định một số nội "
        "dung như sau:",
    ),
    "TB": (
        "Ngày {day}, {short} tổ chức cuộc họp để nghe báo cáo và cho ý kiến về các nội "
        "dung liên quan. Sau khi nghe ý kiến của các đại biểu dự họp, {short} thông báo "
        "như sau:",
    ),
    "CT": (
        "Thời gian qua, các cơ quan, đơn vị đã tích cực triển khai thực hiện các nhiệm vụ "
        "được giao. Để tiếp tục nâng cao hiệu quả, Chủ tịch {short} yêu cầu:",
    ),
    "GM": (
        "{short} tổ chức Hội nghị để đánh giá kết quả thực hiện nhiệm vụ và triển khai "
        "nhiệm vụ thời gian tới. Trân trọng kính mời:",
    ),
}

SECTIONS: dict[str, tuple[str, ...]] = {
    "BC": (
        "I. KẾT QUẢ THỰC HIỆN",
        "II. TỒN TẠI, HẠN CHẾ VÀ NGUYÊN NHÂN",
        "III. NHIỆM VỤ, GIẢI PHÁP TRONG THỜI GIAN TỚI",
        "IV. ĐỀ XUẤT, KIẾN NGHỊ",
    ),
    "KH": ("I. MỤC ĐÍCH, YÊU CẦU", "II. NỘI DUNG THỰC HIỆN", "III. TỔ CHỨC THỰC HIỆN"),
    "HD": ("I. MỤC ĐÍCH, YÊU CẦU", "II. NỘI DUNG HƯỚNG DẪN", "III. TỔ CHỨC THỰC HIỆN"),
    "TTr": ("I. SỰ CẦN THIẾT", "II. NỘI DUNG ĐỀ NGHỊ", "III. KIẾN NGHỊ"),
}

CLOSINGS: dict[str, str] = {
    "": "Đề nghị các cơ quan, đơn vị quan tâm, phối hợp thực hiện./.",
    "TTr": "{short} kính trình {to} xem xét, quyết định./.",
    "TB": "{short} thông báo để các cơ quan, đơn vị và cá nhân có liên quan biết, thực hiện./.",
    "BC": "Trên đây là báo cáo của {short}./.",
    "KH": "Trên đây là Kế hoạch của {short}, đề nghị các cơ quan, đơn vị nghiêm túc triển "
    "khai thực hiện./.",
    "CT": "Chủ tịch {short} yêu cầu Thủ trưởng các cơ quan, đơn vị nghiêm túc thực hiện Chỉ "
    "thị này./.",
    "GM": "Rất mong các đại biểu tham dự đầy đủ, đúng thời gian./.",
    "HD": "Trên đây là hướng dẫn của {short}, đề nghị các cơ quan, đơn vị thực hiện./.",
}

# Departments in sentence case with their symbol abbreviation.
DEPARTMENTS: tuple[tuple[str, str], ...] = (
    ("phòng Nội vụ", "NV"),
    ("phòng Tư pháp", "TP"),
    ("phòng Tài chính - Kế hoạch", "TCKH"),
    ("phòng Tài nguyên và Môi trường", "TNMT"),
    ("Văn phòng HĐND và UBND", "VP"),
    ("phòng Văn hóa và Thông tin", "VHTT"),
    ("phòng Kinh tế và Hạ tầng", "KTHT"),
)
# Provincial (Sở) and district (Phòng) departments: name as named in sentences, symbol
# abbreviation; printed in capitals.
PROVINCIAL_DEPTS: tuple[tuple[str, str], ...] = (
    ("Sở Tư pháp", "STP"),
    ("Sở Nội vụ", "SNV"),
    ("Sở Tài chính", "STC"),
    ("Sở Xây dựng", "SXD"),
    ("Sở Tài nguyên và Môi trường", "STNMT"),
    ("Sở Giáo dục và Đào tạo", "SGDĐT"),
    ("Sở Y tế", "SYT"),
    ("Sở Khoa học và Công nghệ", "SKHCN"),
)
DISTRICT_DEPTS: tuple[tuple[str, str], ...] = (
    ("Phòng Tư pháp", "TP"),
    ("Phòng Nội vụ", "NV"),
    ("Phòng Tài nguyên và Môi trường", "TNMT"),
    ("Phòng Giáo dục và Đào tạo", "GDĐT"),
    ("Phòng Văn hóa và Thông tin", "VHTT"),
)
DRAFTING_UNITS: tuple[str, ...] = ("VP", "NV", "TTHC", "KTTH", "NC", "KT", "VX", "TH", "HCTH")

RECIPIENTS: tuple[str, ...] = (
    "TT. HĐND {level}",
    "CT, các PCT UBND {level}",
    "Văn phòng HĐND và UBND {level}",
    "Các phòng, ban, ngành thuộc UBND {level}",
    "UBND các xã, thị trấn",
    "Sở Nội vụ",
    "Cổng thông tin điện tử {level}",
    "Thường trực {level} ủy",
    "Các cơ quan, đơn vị có liên quan",
)
ADDRESSEES: tuple[str, ...] = (
    "Các cơ quan, đơn vị thuộc {short}",
    "Ủy ban nhân dân các xã, phường, thị trấn",
    "Các phòng, ban, ngành {level}",
    "Thủ trưởng các cơ quan, đơn vị có liên quan",
)
URGENCY: tuple[str, ...] = ("HỎA TỐC", "THƯỢNG KHẨN", "KHẨN")
QUARTERS: tuple[str, ...] = ("quý I", "quý II", "quý III", "quý IV", "6 tháng đầu")

APPENDIX_TITLES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("DANH SÁCH THÀNH VIÊN TỔ CÔNG TÁC", ("STT", "Họ và tên", "Chức vụ, đơn vị", "Nhiệm vụ")),
    ("DANH MỤC THỦ TỤC HÀNH CHÍNH", ("STT", "Tên thủ tục hành chính", "Lĩnh vực", "Ghi chú")),
    (
        "DANH SÁCH TẬP THỂ, CÁ NHÂN ĐƯỢC KHEN THƯỞNG",
        ("STT", "Họ và tên", "Chức vụ, đơn vị", "Hình thức"),
    ),
)
ROLES: tuple[str, ...] = ("Tổ trưởng", "Tổ phó", "Thành viên", "Thành viên", "Thư ký")
POSTS: tuple[str, ...] = (
    "Chuyên viên",
    "Phó Trưởng phòng",
    "Trưởng phòng",
    "Công chức",
    "Văn thư",
    "Chánh Văn phòng",
)
FIELDS_OF_WORK: tuple[str, ...] = (
    "Hộ tịch",
    "Đất đai",
    "Chứng thực",
    "Đăng ký kinh doanh",
    "Xây dựng",
    "Bảo trợ xã hội",
)


def fits(template: str, year: int) -> bool:
    """Whether a document of ``year`` can say this: it cites no later year, and Đề án 06
    (2022) only from 2022."""
    years = [int(y) for y in re.findall(r"(?<!\d)(20\d\d)(?!\d)", template)]
    if "Đề án 06" in template:
        years.append(2022)
    return all(y <= year for y in years)
