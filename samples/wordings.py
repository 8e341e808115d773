"""Label wordings and placements the schemas do not list (``--wordings unseen``).

The default (``schema``) prints the eight known types with the wordings their schemas list.
With ``unseen``, every label below is replaced by one the schemas (``schemas/*.toml``) do not
list: numbered labels ("1.", "a)", "II."), a word more or a word fewer than a listed variant,
other terms for the same thing; some values move (a serial alone at the bottom left, a signing
line without its place or with dotted blanks) and the font is one no schema-mode document
uses. The values and field names stay the same, so a benchmark can measure how extraction
generalizes.

The unseen choices come from a second random stream (:attr:`~samples.content.Ctx.wrng`); the
document's own stream draws exactly what it draws in schema mode, so a document has the same
values in both modes, and the schema mode is unchanged.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from samples.layout import EXTRA_FONT_FILES
from samples.vntext import capitalize, format_date

if TYPE_CHECKING:
    from samples.content import Ctx

WORDINGS = ("schema", "unseen")
UNSEEN_FAMILIES: tuple[str, ...] = tuple(EXTRA_FONT_FILES)

_ID = ("Mã định danh cá nhân", "Số thẻ CCCD", "CCCD/Hộ chiếu số", "Mã định danh")
_DOB = ("Sinh vào ngày", "Ngày, tháng, năm sinh (dương lịch)", "Ngày sinh ra")
_REG_NUMBER = ("Số khai sinh", "Sổ đăng ký số", "Số ghi sổ")
_REG_DATE = ("Đăng ký ngày", "Ngày làm thủ tục đăng ký", "Ngày, tháng, năm làm thủ tục")

# doc_type -> field -> labels no schema lists (checked by tests/test_samples_generator.py).
UNSEEN: dict[str, dict[str, tuple[str, ...]]] = {
    "birth_certificate": {
        "full_name": (
            "Họ tên người được khai sinh",
            "Họ, chữ đệm, tên người được khai sinh",
            "1. Họ, chữ đệm, tên",
            "Tên khai sinh",
        ),
        "date_of_birth": ("2. Ngày, tháng, năm sinh", *_DOB),
        "gender": ("Nam hay nữ", "Giới"),
        "personal_id": ("Mã định danh cá nhân", "Số định danh của trẻ", "Mã số định danh cá nhân"),
        "mother_name": ("Họ tên người mẹ", "Họ, chữ đệm, tên của mẹ", "Tên người mẹ"),
        "father_name": ("Họ tên người cha", "Họ, chữ đệm, tên của cha", "Tên người cha"),
        "registration_number": _REG_NUMBER,
        "registration_date": _REG_DATE,
    },
    "marriage_certificate": {
        "husband_name": ("Họ tên người chồng", "Họ, chữ đệm, tên của chồng", "Tên chồng"),
        "wife_name": ("Họ tên người vợ", "Họ, chữ đệm, tên của vợ", "Tên vợ"),
        "date_of_birth": _DOB,
        "id": _ID,
        "registration_number": ("Số đăng ký kết hôn", "Sổ đăng ký số", "Số ghi sổ"),
        "registration_date": ("Đăng ký ngày", "Ngày làm thủ tục kết hôn"),
    },
    "death_certificate": {
        "full_name": (
            "Họ tên người đã mất",
            "Họ, chữ đệm, tên người đã chết",
            "Họ và tên người mất",
            "I. Họ, chữ đệm, tên",
        ),
        "date_of_birth": _DOB,
        "personal_id": _ID,
        "date_of_death": ("Chết lúc", "Thời điểm chết", "Đã mất vào lúc", "Mất vào lúc"),
        "registration_number": ("Số khai tử", "Sổ đăng ký số", "Số ghi sổ"),
        "registration_date": ("Đăng ký ngày", "Ngày làm thủ tục khai tử"),
    },
    "land_use_certificate": {
        "holder_name": ("Chủ sử dụng", "Tên chủ sử dụng đất", "Người sử dụng", "Người được cấp"),
        "holder_id": ("Mã định danh", "Số thẻ CCCD", "Giấy CCCD số"),
        "serial_number": ("Số hiệu", "Seri", "Số phôi"),
        "registry_number": ("Sổ cấp GCN số", "Số vào sổ cấp giấy", "Số ghi sổ cấp GCN"),
        "parcel_number": ("Số hiệu thửa", "Thửa"),
        "map_sheet_number": ("tờ BĐ số", "tờ"),
        "area_m2": ("Tổng diện tích", "Diện tích đất", "DT"),
        "land_address": ("Vị trí thửa đất", "Tại", "Địa danh"),
        "land_use_purpose": ("Loại đất", "Mục đích", "Mục đích SD"),
    },
    "business_household_registration": {
        "business_name": ("1. Tên cửa hàng", "1. Tên gọi hộ kinh doanh", "1. Tên hộ KD"),
        "registration_code": ("Số đăng ký hộ kinh doanh", "Mã số đăng ký", "Số ĐKKD"),
        "business_address": ("2. Địa chỉ cửa hàng", "2. Nơi kinh doanh", "2. Trụ sở"),
        "capital_vnd": ("4. Số vốn", "4. Vốn đăng ký", "4. Tổng số vốn"),
        "owner_name": ("5. Họ và tên chủ hộ", "5. Họ tên chủ hộ kinh doanh", "Tên chủ hộ"),
        "owner_id": ("Số giấy tờ chứng thực cá nhân", "CCCD/Hộ chiếu số", "Mã định danh"),
        "issue_date": ("Cấp lần đầu", "Đăng ký lần thứ nhất", "Ngày đăng ký lần đầu"),
    },
    "construction_permit": {
        "permit_number": ("Giấy phép số", "Số GPXD"),
        "owner_name": ("1. Người được cấp phép", "1. Cấp phép cho", "1. Tên chủ nhà"),
        "construction_address": ("+ Địa điểm công trình", "+ Nơi xây dựng", "+ Tại"),
        "parcel_number": ("Lô đất số", "Số hiệu thửa"),
        "map_sheet_number": ("tờ BĐ số", "thuộc tờ"),
        "building_area_m2": ("+ Diện tích chiếm đất", "+ DTXD tầng 1", "+ Diện tích sàn tầng trệt"),
        "floors": ("+ Tầng cao", "+ Số tầng nhà", "+ Quy mô"),
    },
    "application_form": {
        "applicant_name": (
            "Tôi là",
            "Họ tên người làm đơn",
            "Người viết đơn",
            "Họ và tên người khai",
        ),
        "applicant_id": _ID,
        "applicant_date_of_birth": _DOB,
        "phone": ("ĐT liên lạc", "Di động", "Số máy liên hệ"),
    },
    "dossier_receipt": {
        "dossier_code": ("Số biên nhận", "Mã số biên nhận", "Mã tra cứu hồ sơ"),
        "applicant_name": ("Tên người nộp", "Nhận của", "Người đứng tên hồ sơ"),
        "applicant_id": _ID,
        "procedure_name": ("Loại hồ sơ", "Nội dung hồ sơ", "Lĩnh vực giải quyết"),
        "received_date": ("4. Ngày giờ nộp", "4. Nhận lúc", "4. Thời điểm tiếp nhận"),
        "appointment_date": ("5. Hẹn trả vào", "5. Ngày hẹn trả", "5. Trả kết quả lúc"),
    },
}


def unseen(ctx: Ctx) -> bool:
    """Whether this document is printed with unseen wordings."""
    return ctx.wrng is not None


# Fields whose labels a form prints alike (the same option of their parallel lists).
PAIRED = {"father_name": "mother_name", "wife_name": "husband_name"}


def word(ctx: Ctx, field: str, printed: str) -> str:
    """The label printed for ``field``: ``printed`` (the schema wording, already drawn from the
    document's stream) or, in unseen mode, one of :data:`UNSEEN` (recorded in ``ctx.labels``).

    ``field`` may name a group ("id", "date_of_birth") shared by several fields of a type.
    """
    if ctx.wrng is None:
        return printed
    table = UNSEEN.get(ctx.kind, {})
    options = table.get(field)
    if not options:
        return printed
    if field not in ctx.labels:
        twin = PAIRED.get(field) or next((f for f, t in PAIRED.items() if t == field), "")
        if twin in ctx.labels:
            ctx.labels[field] = options[table[twin].index(ctx.labels[twin])]
        else:
            ctx.labels[field] = ctx.wrng.choice(options)
    return ctx.labels[field]


def placement(ctx: Ctx, field: str, options: tuple[str, ...]) -> str | None:
    """In unseen mode, one of ``options`` (a placement, recorded in ``ctx.placements``), or
    None for the schema placement (always None in schema mode)."""
    if ctx.wrng is None:
        return None
    choice = ctx.wrng.choice((*options, ""))
    if choice:
        ctx.placements[field] = choice
    return choice or None


def signing_line(ctx: Ctx, field: str, where: str, d: dt.date, style: str) -> str:
    """The signing line ("Bắc Giang, ngày 5 tháng 3 năm 2023", the date of ``field``) as
    printed; unseen mode may drop the place or leave the form's dotted blanks around the
    typed values."""
    line = f"{where}, {format_date(d, style)}"
    how = placement(ctx, field, ("signing line without place", "signing line with dotted blanks"))
    if how == "signing line without place":
        return capitalize(format_date(d, style))
    if how == "signing line with dotted blanks":
        day, month, year = format_date(d, style).split()[1::2]
        return f"{where}, ngày...{day}...tháng...{month}...năm {year}"
    return line
