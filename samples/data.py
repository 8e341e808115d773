"""Static vocabulary for the synthetic scans: names, places, offices, wording variants.

Kept as immutable tuples so the generator has no mutable module state; every choice among
them is made by the per-document seeded RNG, which keeps the ground truth reproducible.
The administrative units are real names of the old three-level structure (before 1 July 2025)
because archival documents, which are most of what offices scan, carry those.
"""

from __future__ import annotations

from typing import NamedTuple

# Family names with rough population weights (percent), so "Nguyễn" dominates as in life.
FAMILY_NAMES: tuple[tuple[str, float], ...] = (
    ("Nguyễn", 38.0),
    ("Trần", 11.0),
    ("Lê", 9.5),
    ("Phạm", 7.0),
    ("Hoàng", 4.0),
    ("Huỳnh", 1.5),
    ("Phan", 4.5),
    ("Vũ", 3.0),
    ("Võ", 1.5),
    ("Đặng", 2.1),
    ("Bùi", 2.0),
    ("Đỗ", 1.4),
    ("Hồ", 1.3),
    ("Ngô", 1.3),
    ("Dương", 1.0),
    ("Lý", 0.5),
    ("Đinh", 0.6),
    ("Trịnh", 0.5),
    ("Đào", 0.5),
    ("Mai", 0.4),
    ("Lương", 0.4),
    ("Cao", 0.3),
    ("Tạ", 0.3),
    ("Chu", 0.2),
    ("Kiều", 0.2),
    ("Khúc", 0.1),
    ("Lưu", 0.3),
    ("Thái", 0.2),
    ("Quách", 0.1),
)
MALE_MIDDLE: tuple[str, ...] = (
    "Văn",
    "Văn",
    "Văn",
    "Đức",
    "Minh",
    "Quang",
    "Hữu",
    "Công",
    "Thanh",
    "Xuân",
    "Đình",
    "Ngọc",
    "Mạnh",
    "Tiến",
    "Trọng",
    "Anh",
    "Duy",
    "Quốc",
    "Thế",
    "Bá",
)
FEMALE_MIDDLE: tuple[str, ...] = (
    "Thị",
    "Thị",
    "Thị",
    "Thị",
    "Ngọc",
    "Thu",
    "Thanh",
    "Minh",
    "Phương",
    "Kim",
    "Hồng",
    "Thúy",
    "Bích",
    "Diệu",
    "Khánh",
    "Mai",
    "Hải",
    "Bảo",
)
MALE_GIVEN: tuple[str, ...] = (
    "An",
    "Bình",
    "Cường",
    "Dũng",
    "Hùng",
    "Hải",
    "Long",
    "Nam",
    "Phong",
    "Quân",
    "Sơn",
    "Thắng",
    "Tuấn",
    "Việt",
    "Đạt",
    "Hiếu",
    "Khánh",
    "Lâm",
    "Mạnh",
    "Nghĩa",
    "Phúc",
    "Toàn",
    "Trung",
    "Vinh",
    "Huy",
    "Đức",
    "Thành",
    "Kiên",
    "Tùng",
    "Hoàng",
    "Quyết",
    "Lộc",
    "Thịnh",
    "Bảo",
    "Khoa",
    "Tâm",
    "Hưng",
    "Duy",
    "Trường",
    "Nguyên",
)
FEMALE_GIVEN: tuple[str, ...] = (
    "Anh",
    "Bích",
    "Chi",
    "Dung",
    "Giang",
    "Hà",
    "Hằng",
    "Hạnh",
    "Hoa",
    "Hương",
    "Huyền",
    "Lan",
    "Linh",
    "Loan",
    "Mai",
    "Ngọc",
    "Nhung",
    "Oanh",
    "Phương",
    "Quyên",
    "Thảo",
    "Thu",
    "Trang",
    "Tuyết",
    "Vân",
    "Yến",
    "Nguyệt",
    "Thủy",
    "Hòa",
    "Hồng",
    "Liên",
    "Nga",
    "Ngân",
    "Nhàn",
    "Thư",
    "Vy",
    "Diệp",
    "Hiền",
    "Lý",
    "Xuân",
)
ETHNICITIES: tuple[str, ...] = ("Kinh",) * 14 + ("Tày", "Nùng", "Mường", "Thái", "Sán Dìu")


class Commune(NamedTuple):
    """A commune-level unit with its kind ("xã", "phường", "thị trấn") and its villages."""

    kind: str
    name: str
    villages: tuple[str, ...]


class District(NamedTuple):
    """A district-level unit (before July 2025) and some of its communes."""

    kind: str
    name: str
    communes: tuple[Commune, ...]


class Province(NamedTuple):
    """A province: GSO code (2 digits; the personal ID uses "0" + it), name, districts.

    ``merged_into`` names the province it belongs to since 1 July 2025 (same if kept).
    ``streets`` are used for urban addresses.
    """

    code: str
    kind: str
    name: str
    districts: tuple[District, ...]
    merged_into: str
    streets: tuple[str, ...]


_RURAL = (
    "Thôn Đông",
    "Thôn Tây",
    "Thôn Trung",
    "Thôn Hòa Bình",
    "Thôn Tân Thành",
    "Xóm 3",
    "Xóm 7",
    "Thôn Đồng Quan",
    "Thôn Yên Lạc",
    "Thôn Phú Mỹ",
    "Xóm Chùa",
    "Thôn Bãi Ban",
)
_URBAN = (
    "Tổ dân phố số 5",
    "Tổ dân phố số 12",
    "Tổ 3",
    "Khu phố 2",
    "Tổ dân phố Bắc Sơn",
    "Khu phố Hòa Bình",
)


def _c(kind: str, name: str, urban: bool = False) -> Commune:
    return Commune(kind, name, _URBAN if urban or kind != "xã" else _RURAL)


PROVINCES: tuple[Province, ...] = (
    Province(
        "24",
        "tỉnh",
        "Bắc Giang",
        (
            District(
                "huyện",
                "Lạng Giang",
                (
                    _c("xã", "Tân Dĩnh"),
                    _c("xã", "Tân Thanh"),
                    _c("xã", "Yên Mỹ"),
                    _c("xã", "Mỹ Thái"),
                    _c("thị trấn", "Vôi"),
                ),
            ),
            District(
                "huyện",
                "Yên Thế",
                (_c("thị trấn", "Cầu Gồ"), _c("xã", "Đồng Kỳ"), _c("xã", "Phồn Xương")),
            ),
            District(
                "huyện",
                "Lục Nam",
                (_c("xã", "Bảo Đài"), _c("xã", "Cẩm Lý"), _c("thị trấn", "Đồi Ngô")),
            ),
            District(
                "huyện",
                "Tân Yên",
                (_c("thị trấn", "Cao Thượng"), _c("xã", "Ngọc Thiện"), _c("xã", "Liên Chung")),
            ),
            District(
                "thành phố",
                "Bắc Giang",
                (
                    _c("phường", "Trần Phú"),
                    _c("phường", "Hoàng Văn Thụ"),
                    _c("phường", "Ngô Quyền"),
                    _c("xã", "Đồng Sơn"),
                ),
            ),
        ),
        "Bắc Ninh",
        ("Nguyễn Thị Lưu", "Hoàng Văn Thụ", "Xương Giang", "Lê Lợi"),
    ),
    Province(
        "42",
        "tỉnh",
        "Hà Tĩnh",
        (
            District(
                "huyện",
                "Can Lộc",
                (_c("thị trấn", "Nghèn"), _c("xã", "Thiên Lộc"), _c("xã", "Vượng Lộc")),
            ),
            District(
                "huyện",
                "Đức Thọ",
                (_c("thị trấn", "Đức Thọ"), _c("xã", "Tùng Ảnh"), _c("xã", "Yên Hồ")),
            ),
            District(
                "huyện",
                "Hương Sơn",
                (_c("thị trấn", "Phố Châu"), _c("xã", "Sơn Tây"), _c("xã", "Sơn Ninh")),
            ),
            District(
                "huyện",
                "Thạch Hà",
                (_c("thị trấn", "Thạch Hà"), _c("xã", "Thạch Đài"), _c("xã", "Thạch Long")),
            ),
            District(
                "huyện",
                "Cẩm Xuyên",
                (_c("thị trấn", "Cẩm Xuyên"), _c("xã", "Cẩm Bình"), _c("xã", "Cẩm Vịnh")),
            ),
            District(
                "thành phố",
                "Hà Tĩnh",
                (
                    _c("phường", "Bắc Hà"),
                    _c("phường", "Nam Hà"),
                    _c("phường", "Trần Phú"),
                    _c("xã", "Thạch Trung"),
                ),
            ),
            District("thị xã", "Hồng Lĩnh", (_c("phường", "Bắc Hồng"), _c("phường", "Nam Hồng"))),
        ),
        "Hà Tĩnh",
        ("Phan Đình Phùng", "Trần Phú", "Hà Huy Tập", "Nguyễn Du"),
    ),
    Province(
        "01",
        "thành phố",
        "Hà Nội",
        (
            District(
                "quận",
                "Cầu Giấy",
                (
                    _c("phường", "Dịch Vọng"),
                    _c("phường", "Quan Hoa"),
                    _c("phường", "Nghĩa Tân"),
                    _c("phường", "Trung Hòa"),
                ),
            ),
            District(
                "quận",
                "Đống Đa",
                (_c("phường", "Láng Hạ"), _c("phường", "Ô Chợ Dừa"), _c("phường", "Kim Liên")),
            ),
            District(
                "huyện",
                "Gia Lâm",
                (_c("thị trấn", "Trâu Quỳ"), _c("xã", "Bát Tràng"), _c("xã", "Đa Tốn")),
            ),
            District(
                "huyện",
                "Đông Anh",
                (_c("thị trấn", "Đông Anh"), _c("xã", "Uy Nỗ"), _c("xã", "Vân Nội")),
            ),
            District("quận", "Hoàng Mai", (_c("phường", "Định Công"), _c("phường", "Tương Mai"))),
            District("huyện", "Sóc Sơn", (_c("thị trấn", "Sóc Sơn"), _c("xã", "Phù Linh"))),
        ),
        "Hà Nội",
        ("Trần Duy Hưng", "Xuân Thủy", "Láng", "Nguyễn Chí Thanh", "Giải Phóng", "Trường Chinh"),
    ),
    Province(
        "79",
        "thành phố",
        "Hồ Chí Minh",
        (
            District("quận", "Bình Thạnh", (_c("phường", "25"), _c("phường", "13"))),
            District(
                "thành phố",
                "Thủ Đức",
                (_c("phường", "Linh Trung"), _c("phường", "Hiệp Bình Chánh")),
            ),
            District("huyện", "Củ Chi", (_c("thị trấn", "Củ Chi"), _c("xã", "Tân Thông Hội"))),
            District("quận", "Gò Vấp", (_c("phường", "5"), _c("phường", "10"))),
            District("huyện", "Bình Chánh", (_c("xã", "Vĩnh Lộc A"), _c("xã", "Bình Hưng"))),
        ),
        "Hồ Chí Minh",
        ("Điện Biên Phủ", "Nguyễn Văn Cừ", "Lê Văn Sỹ", "Phan Văn Trị", "Quang Trung"),
    ),
    Province(
        "40",
        "tỉnh",
        "Nghệ An",
        (
            District(
                "thành phố",
                "Vinh",
                (_c("phường", "Hưng Bình"), _c("phường", "Lê Lợi"), _c("xã", "Nghi Phú")),
            ),
            District("huyện", "Diễn Châu", (_c("thị trấn", "Diễn Châu"), _c("xã", "Diễn Kỷ"))),
            District("huyện", "Nam Đàn", (_c("thị trấn", "Nam Đàn"), _c("xã", "Kim Liên"))),
        ),
        "Nghệ An",
        ("Lê Hồng Phong", "Quang Trung", "Nguyễn Du"),
    ),
    Province(
        "38",
        "tỉnh",
        "Thanh Hóa",
        (
            District(
                "thành phố", "Thanh Hóa", (_c("phường", "Điện Biên"), _c("phường", "Đông Thọ"))
            ),
            District("huyện", "Hoằng Hóa", (_c("thị trấn", "Bút Sơn"), _c("xã", "Hoằng Đạo"))),
            District("huyện", "Thọ Xuân", (_c("thị trấn", "Thọ Xuân"), _c("xã", "Xuân Lai"))),
        ),
        "Thanh Hóa",
        ("Lê Lai", "Trần Phú", "Bà Triệu"),
    ),
    Province(
        "27",
        "tỉnh",
        "Bắc Ninh",
        (
            District("thành phố", "Bắc Ninh", (_c("phường", "Suối Hoa"), _c("phường", "Vũ Ninh"))),
            District("huyện", "Tiên Du", (_c("thị trấn", "Lim"), _c("xã", "Phật Tích"))),
            District("thành phố", "Từ Sơn", (_c("phường", "Đình Bảng"), _c("phường", "Đồng Kỵ"))),
        ),
        "Bắc Ninh",
        ("Ngô Gia Tự", "Nguyễn Văn Cừ", "Lý Thái Tổ"),
    ),
    Province(
        "30",
        "tỉnh",
        "Hải Dương",
        (
            District("huyện", "Gia Lộc", (_c("thị trấn", "Gia Lộc"), _c("xã", "Gia Tân"))),
            District(
                "thành phố", "Hải Dương", (_c("phường", "Trần Hưng Đạo"), _c("phường", "Bình Hàn"))
            ),
        ),
        "Hải Phòng",
        ("Nguyễn Lương Bằng", "Trần Hưng Đạo"),
    ),
    Province(
        "48",
        "thành phố",
        "Đà Nẵng",
        (
            District(
                "quận", "Hải Châu", (_c("phường", "Thạch Thang"), _c("phường", "Hòa Cường Bắc"))
            ),
            District("quận", "Sơn Trà", (_c("phường", "An Hải Bắc"), _c("phường", "Mân Thái"))),
        ),
        "Đà Nẵng",
        ("Bạch Đằng", "Lê Duẩn", "Nguyễn Văn Linh"),
    ),
)

# Extra birth-registration provinces for IDs of people born elsewhere (3-digit ID codes).
ID_PROVINCE_CODES: tuple[str, ...] = (
    "001",
    "024",
    "042",
    "079",
    "040",
    "038",
    "027",
    "030",
    "048",
    "031",
    "033",
    "034",
    "036",
    "037",
    "022",
    "019",
    "026",
    "035",
    "046",
    "052",
)

# Two-letter series of certificate serial numbers (số phát hành), e.g. "CS 123456".
SERIAL_LETTERS: tuple[str, ...] = (
    "AA",
    "AB",
    "AĐ",
    "AK",
    "BA",
    "BB",
    "BĐ",
    "BK",
    "BN",
    "BS",
    "BT",
    "BY",
    "CA",
    "CB",
    "CĐ",
    "CH",
    "CK",
    "CN",
    "CS",
    "CT",
    "DA",
    "DB",
    "DĐ",
    "DK",
    "DL",
    "DM",
    "DS",
    "DT",
    "ĐA",
    "ĐB",
)

LAND_PURPOSES: tuple[str, ...] = (
    "Đất ở tại nông thôn",
    "Đất ở tại đô thị",
    "Đất trồng lúa",
    "Đất trồng cây lâu năm",
    "Đất trồng cây hàng năm khác",
    "Đất nuôi trồng thủy sản",
    "Đất rừng sản xuất",
)
LAND_ORIGINS: tuple[str, ...] = (
    "Nhà nước giao đất có thu tiền sử dụng đất",
    "Công nhận quyền sử dụng đất như giao đất có thu tiền sử dụng đất",
    "Nhận chuyển nhượng đất được công nhận quyền sử dụng đất",
    "Nhận thừa kế đất được công nhận quyền sử dụng đất",
    "Nhà nước giao đất không thu tiền sử dụng đất",
)
LAND_CHANGES: tuple[str, ...] = (
    "Đã thế chấp bằng quyền sử dụng đất tại Ngân hàng Nông nghiệp và Phát triển Nông thôn "
    "Việt Nam theo hồ sơ số {code}",
    "Đã xóa đăng ký thế chấp theo hồ sơ số {code}",
    "Chuyển nhượng một phần thửa đất, diện tích còn lại {area} theo hồ sơ số {code}",
    "Đính chính thông tin người sử dụng đất theo hồ sơ số {code}",
    "Cấp đổi số tờ bản đồ, số thửa do đo đạc lại bản đồ địa chính, hồ sơ số {code}",
)

BUSINESS_KINDS: tuple[tuple[str, str], ...] = (
    ("TẠP HÓA", "Bán lẻ lương thực, thực phẩm, đồ uống trong các cửa hàng chuyên doanh"),
    ("ĂN UỐNG", "Nhà hàng và các dịch vụ ăn uống phục vụ lưu động"),
    ("SỬA CHỮA XE MÁY", "Bảo dưỡng, sửa chữa mô tô, xe máy"),
    ("VẬT LIỆU XÂY DỰNG", "Bán lẻ đồ ngũ kim, sơn, kính và thiết bị lắp đặt khác trong xây dựng"),
    ("CẮT TÓC", "Cắt tóc, làm đầu, gội đầu"),
    ("CÀ PHÊ", "Dịch vụ phục vụ đồ uống"),
    ("MAY ĐO", "May trang phục (trừ trang phục từ da lông thú)"),
    ("ĐIỆN THOẠI", "Bán lẻ thiết bị viễn thông trong các cửa hàng chuyên doanh"),
)

PROCEDURES: tuple[str, ...] = (
    "Đăng ký khai sinh",
    "Đăng ký kết hôn",
    "Đăng ký khai tử",
    "Cấp bản sao trích lục hộ tịch",
    "Chứng thực bản sao từ bản chính",
    "Đăng ký thành lập hộ kinh doanh",
    "Cấp giấy phép xây dựng đối với nhà ở riêng lẻ",
    "Đăng ký biến động quyền sử dụng đất, quyền sở hữu tài sản gắn liền với đất",
    "Cấp đổi Giấy chứng nhận quyền sử dụng đất",
    "Xác nhận tình trạng hôn nhân",
)
DOSSIER_PARTS: tuple[str, ...] = (
    "Tờ khai theo mẫu",
    "Bản sao Giấy chứng nhận quyền sử dụng đất",
    "Giấy tờ tùy thân (bản chụp)",
    "Hợp đồng chuyển nhượng quyền sử dụng đất",
    "Bản vẽ thiết kế xây dựng",
    "Giấy chứng sinh",
    "Văn bản ủy quyền",
    "Giấy báo tử",
    "Đơn đề nghị",
)
APPLICATION_TITLES: tuple[tuple[str, str], ...] = (
    ("TỜ KHAI ĐĂNG KÝ KHAI SINH", "Đề nghị cơ quan đăng ký khai sinh cho người có tên dưới đây"),
    ("ĐƠN ĐỀ NGHỊ CẤP GIẤY PHÉP XÂY DỰNG", "Đề nghị cấp giấy phép xây dựng nhà ở riêng lẻ"),
    ("TỜ KHAI CẤP BẢN SAO TRÍCH LỤC HỘ TỊCH", "Đề nghị cấp bản sao trích lục kết hôn"),
    (
        "ĐƠN ĐĂNG KÝ BIẾN ĐỘNG ĐẤT ĐAI, TÀI SẢN GẮN LIỀN VỚI ĐẤT",
        "Đề nghị đăng ký biến động do chuyển nhượng quyền sử dụng đất",
    ),
    (
        "ĐƠN ĐỀ NGHỊ XÁC NHẬN TÌNH TRẠNG HÔN NHÂN",
        "Đề nghị cấp Giấy xác nhận tình trạng hôn nhân để làm thủ tục đăng ký kết hôn",
    ),
)
DEATH_CAUSES: tuple[str, ...] = ("Bệnh", "Già yếu", "Tai nạn giao thông", "Bệnh hiểm nghèo")

NOTICE_SUBJECTS: tuple[str, ...] = (
    "Về việc thay đổi thời gian tiếp nhận hồ sơ tại Bộ phận Một cửa",
    "Về việc tổ chức tiếp công dân định kỳ",
    "Về việc niêm yết công khai danh sách hộ gia đình đề nghị cấp Giấy chứng nhận",
    "Về việc lấy ý kiến nhân dân đối với dự thảo quy hoạch sử dụng đất",
)
NOTICE_SENTENCES: tuple[str, ...] = (
    "Thực hiện Kế hoạch cải cách hành chính năm {year} của Ủy ban nhân dân {unit}.",
    "Bộ phận tiếp nhận và trả kết quả thông báo tới các tổ chức, cá nhân được biết.",
    "Thời gian tiếp nhận hồ sơ: buổi sáng từ 7 giờ 30 phút đến 11 giờ 30 phút, buổi chiều "
    "từ 13 giờ 30 phút đến 17 giờ 00 phút các ngày làm việc trong tuần.",
    "Mọi thắc mắc xin liên hệ công chức Văn phòng - Thống kê để được hướng dẫn.",
    "Đề nghị các thôn, tổ dân phố thông báo rộng rãi trên hệ thống loa truyền thanh.",
    "Danh sách được niêm yết công khai tại trụ sở Ủy ban nhân dân và nhà văn hóa các thôn "
    "trong thời gian 15 ngày kể từ ngày ký thông báo này.",
    "Tổ chức, cá nhân có ý kiến phản ánh gửi về Ủy ban nhân dân trước ngày {date}.",
    "Ủy ban nhân dân {unit} trân trọng thông báo.",
)
ENGLISH_SENTENCES: tuple[str, ...] = (
    "This letter confirms that the applicant attended the vocational training course "
    "organised by our centre.",
    "The documents listed below were received in good order and will be reviewed within "
    "ten working days.",
    "Please find enclosed a certified copy of the registration certificate issued by the "
    "competent authority.",
    "We kindly ask you to contact our office should any further information be required.",
    "The company has been operating at the above address since the date of its incorporation.",
    "All amounts are stated in Vietnamese dong and include value added tax where applicable.",
    "The undersigned declares that the information provided in this statement is true and "
    "complete.",
    "This certificate is issued at the request of the holder for submission to the embassy.",
    "Yours faithfully,",
)
FRENCH_SENTENCES: tuple[str, ...] = (
    "Nous certifions que le demandeur a suivi avec assiduité la formation organisée par "
    "notre établissement.",
    "Les pièces énumérées ci-dessous ont été reçues et seront examinées dans un délai de "
    "dix jours ouvrables.",
    "Veuillez trouver ci-joint une copie certifiée conforme de l'acte délivré par "
    "l'autorité compétente.",
    "Nous vous prions de bien vouloir prendre contact avec nos services pour toute "
    "information complémentaire.",
    "La présente attestation est délivrée à l'intéressé pour servir et valoir ce que de droit.",
    "Le soussigné déclare que les renseignements fournis dans cette déclaration sont "
    "exacts et complets.",
    "Veuillez agréer, Madame, Monsieur, l'expression de nos salutations distinguées.",
)
ENGLISH_TITLES: tuple[str, ...] = (
    "CONFIRMATION LETTER",
    "CERTIFICATE OF EMPLOYMENT",
    "TO WHOM IT MAY CONCERN",
    "STATEMENT",
)
FRENCH_TITLES: tuple[str, ...] = (
    "ATTESTATION",
    "CERTIFICAT DE SCOLARITÉ",
    "LETTRE DE RECOMMANDATION",
)
