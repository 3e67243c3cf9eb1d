"""The demo's facts and words, as plain data: the city's tree and the
province's decision of 2025, the members' names, and the tables and texts the
past and the current cycles draw from. Every other module of the demo reads
from here; this one imports none of them.
"""

import datetime

from reviews import rules
from reviews.models import CarryOverItem

from ..models import Member

# The city ------------------------------------------------------------------------

DEFAULT_MEMBERS = 8000
DEMO_PASSWORD = "kontum-demo"
SUPERIOR_CODE = "TU-KT"
PROVINCE_CODE = "TinhU-KT"
# The demo secretary's and member's cell (README, "The year's review").
DEMO_CELL = f"{SUPERIOR_CODE}.P01.01"
# Decided yearly cycles kept as history before the current one, and the regime
# each year was rated under (docs/process.md §6).
FIRST_HISTORY_YEAR = 2021
REGIME_UNTIL = [(2022, "qd132"), (2024, "qd124"), (None, "qd366")]

WARDS = [
    "Quyết Thắng", "Quang Trung", "Thắng Lợi", "Thống Nhất", "Duy Tân",
    "Lê Lợi", "Ngô Mây", "Nguyễn Trãi", "Trần Hưng Đạo", "Trường Chinh",
]  # fmt: skip
COMMUNES = [
    "Đắk Cấm", "Đắk Blà", "Đắk Năng", "Đăk Rơ Wa", "Chư Hreng", "Hòa Bình",
    "Ia Chim", "Kroong", "Ngọk Bay", "Vinh Quang", "Đoàn Kết",
]  # fmt: skip
# (type code, name pattern, share of committees) for the other grassroots bodies.
OTHER_GRASSROOTS = [
    ("co-quan-hanh-chinh", "Cơ quan {}", 0.3, [
        "Văn phòng HĐND và UBND thành phố", "Các cơ quan Đảng thành phố",
        "Phòng Tài chính – Kế hoạch", "Phòng Tài nguyên và Môi trường",
        "Phòng Quản lý đô thị", "Phòng Nội vụ",
        "Phòng Lao động – Thương binh và Xã hội",
        "Phòng Văn hóa và Thông tin", "Phòng Kinh tế", "Thanh tra thành phố",
        "Phòng Tư pháp", "Chi cục Thuế khu vực", "Kho bạc Nhà nước thành phố",
        "Tòa án nhân dân thành phố", "Viện Kiểm sát nhân dân thành phố",
        "Chi cục Thi hành án dân sự", "Khối Mặt trận và các đoàn thể",
    ]),
    ("don-vi-su-nghiep", "{}", 0.2, [
        "Trung tâm Y tế thành phố", "Ban Quản lý dự án đầu tư xây dựng",
        "Trung tâm Phát triển quỹ đất", "Trung tâm Văn hóa – Thể thao",
        "Ban Quản lý chợ", "Đội Quản lý trật tự đô thị",
        "Trung tâm Dịch vụ nông nghiệp",
        "Bệnh viện Y dược cổ truyền", "Trung tâm Giáo dục nghề nghiệp",
    ]),
    ("truong-hoc", "Trường {}", 0.1, [
        "THCS Nguyễn Sinh Sắc", "THCS Lê Quý Đôn", "THCS Trần Hưng Đạo",
        "THCS Chu Văn An", "THCS Nguyễn Huệ", "THCS Lý Tự Trọng",
        "Tiểu học Lê Văn Tám", "Tiểu học Nguyễn Văn Trỗi", "Tiểu học Hùng Vương",
        "Tiểu học Phan Chu Trinh", "Tiểu học Quang Trung", "Tiểu học Ngô Mây",
        "Mầm non Hoa Hồng", "Mầm non Sơn Ca", "Mầm non Họa Mi", "Mầm non Tuổi Thơ",
        "THCS Võ Thị Sáu", "Tiểu học Kim Đồng",
    ]),
    ("doanh-nghiep-nha-nuoc", "{}", 0.4, [
        "Công ty TNHH MTV Cấp nước Kon Tum", "Công ty TNHH MTV Môi trường đô thị",
        "Công ty TNHH MTV Lâm nghiệp Đăk Tô", "Điện lực thành phố Kon Tum",
        "Bưu điện thành phố Kon Tum", "Ngân hàng Nông nghiệp chi nhánh thành phố",
    ]),
    ("doanh-nghiep-ngoai-nha-nuoc", "{}", 0.0, [
        "Công ty cổ phần Cao su Kon Tum", "Công ty cổ phần Đường Kon Tum",
        "Công ty cổ phần Thủy điện Đăk Bla", "Công ty TNHH Sâm Ngọc Linh Kon Tum",
        "Công ty cổ phần Xây dựng Kon Tum", "Công ty cổ phần Du lịch Kon Tum",
        "Công ty TNHH Vận tải Tây Nguyên",
    ]),
    ("quan-su", "{}", 1.0, ["Ban Chỉ huy Quân sự thành phố"]),
    ("cong-an", "{}", 1.0, ["Công an thành phố"]),
]  # fmt: skip

# The city's agencies had a committee of their own between them and the city
# (Đảng bộ Khối cơ quan), which the province's decision of 2025 removed
# (DECISION below): the first few agencies sit under it in the past cycles.
BLOCK_CODE = f"{SUPERIOR_CODE}.K01"
BLOCK_NAME = "Đảng bộ Khối cơ quan thành phố"
BLOCK_TYPE = "co-quan-hanh-chinh"
BLOCK_SIZE = 3
# Two wards, neither the demo secretary's, merged into a new one by that decision.
NEW_WARD_CODE = f"{SUPERIOR_CODE}.P{len(WARDS) + 1:02d}"
NEW_WARD_NAME = "Đảng bộ phường Kon Tum"
MERGED_WARDS = 2
MOVED_CELLS = 2  # the last cell of the next wards, moved to the new ward
DECISION = {
    "number": "Số 123-QĐ/TU",
    "signed_on": datetime.date(2025, 6, 20),
    "issued_by": "Ban Thường vụ Tỉnh ủy Kon Tum",
    "effective_on": datetime.date(2025, 7, 1),
}
ONE_DAY = datetime.timedelta(days=1)

# The members ---------------------------------------------------------------------

FAMILY_NAMES = [
    ("Nguyễn", 30), ("Trần", 10), ("Lê", 9), ("Phạm", 7), ("Hoàng", 5), ("Huỳnh", 4),
    ("Phan", 4), ("Vũ", 4), ("Võ", 4), ("Đặng", 3), ("Bùi", 3), ("Đỗ", 3), ("Hồ", 3),
    ("Ngô", 2), ("Dương", 2), ("Lý", 1), ("Đinh", 2), ("Trương", 2), ("Lương", 1),
]  # fmt: skip
MIDDLE_NAMES = {
    Member.Gender.MALE: ["Văn", "Đức", "Minh", "Quang", "Hữu", "Công", "Thanh", "Ngọc"],
    Member.Gender.FEMALE: ["Thị", "Ngọc", "Thu", "Thanh", "Kim", "Thị Thu", "Mỹ"],
}
GIVEN_NAMES = {
    Member.Gender.MALE: [
        "An", "Ân", "Bình", "Cường", "Dũng", "Đức", "Đạt", "Hải", "Hùng", "Huy",
        "Khánh", "Long", "Minh", "Nam", "Phong", "Phúc", "Quân", "Sơn", "Tâm",
        "Thắng", "Trung", "Tuấn", "Việt", "Vinh", "Hoàng", "Toàn", "Lộc", "Khoa",
    ],
    Member.Gender.FEMALE: [
        "Anh", "Ánh", "Bích", "Chi", "Dung", "Hà", "Hạnh", "Hoa", "Hương", "Lan",
        "Linh", "Mai", "Nga", "Ngọc", "Nhung", "Phương", "Quyên", "Thảo", "Trang",
        "Vân", "Yến", "Hằng", "Loan", "Oanh", "Uyên", "Đào",
    ],
}  # fmt: skip
# Ba Na and Xơ Đăng names, common in the communes around Kon Tum.
HIGHLAND_NAMES = {
    Member.Gender.MALE: ["A Thút", "A Mưu", "A Blưn", "A Hyun", "A Sâm", "A Đen"],
    Member.Gender.FEMALE: ["Y Hoa", "Y Bông", "Y Khuyên", "Y Ngát", "Y Rin", "Y Thơm"],
}
MASS_POSTS = [
    "Chủ tịch Hội Liên hiệp Phụ nữ", "Bí thư Đoàn Thanh niên",
    "Chủ tịch Hội Cựu chiến binh",
    "Chủ tịch Công đoàn cơ sở", "Tổ trưởng tổ dân phố", "Trưởng ban công tác Mặt trận",
]  # fmt: skip

# Past cycles (history, decisions, last_year) ---------------------------------------

# Most units meet their recruitment target; a leader whose unit met under half
# its targets is rated KHTNV (docs/process.md §6.4 rule 5).
SHORTFALLS = [0] * 49 + [1]
OVERDUE_DOSSIERS = [0] * 6 + [1, 2, 3, 5]
# The focus areas the BTV suggests, by type of grassroots organization, and how
# a collective answered them (last_year.create_focus_areas).
FOCUS_BY_TYPE = {
    "phuong": ["urban-order", "land-certificates"],
    "xa": ["land-clearance", "land-certificates"],
    "co-quan-hanh-chinh": ["admin-procedures"],
    "don-vi-su-nghiep": ["health-insurance"],
}
ANSWER = (
    "Tập thể đã nghiêm túc kiểm điểm, làm rõ nguyên nhân chủ quan, khách quan "
    "và đề ra giải pháp khắc phục trong năm tới."
)
SCORES = {  # points under QĐ 366, by level
    rules.EXCELLENT: (90, 98),
    rules.GOOD: (72, 89),
    rules.PASS: (55, 69),
    rules.FAIL: (35, 49),
}
CONDITIONS = {  # % of tasks on time, exceeding, shortcomings remedied, by level
    rules.EXCELLENT: (100, 40, 100),
    rules.GOOD: (100, 15, 100),
    rules.PASS: (90, 5, 80),
    rules.FAIL: (60, 0, 50),
}
ASSESSMENTS = {
    rules.EXCELLENT: "Hoàn thành xuất sắc các nhiệm vụ được giao; là điển hình "
    "trong tu dưỡng, rèn luyện và nêu gương.",
    rules.GOOD: "Hoàn thành tốt nhiệm vụ được giao; giữ gìn phẩm chất đạo đức, "
    "lối sống; chấp hành nghiêm kỷ luật của Đảng.",
    rules.PASS: "Hoàn thành nhiệm vụ; còn hạn chế về tiến độ một số nhiệm vụ, "
    "cần khắc phục trong năm tới.",
    rules.FAIL: "Không hoàn thành nhiệm vụ được giao; đề nghị cấp ủy kiểm điểm, "
    "giúp đỡ và có biện pháp xử lý theo quy định.",
}
# What the remedy plans after the last decided cycle are about, and how.
REMEDIES = [
    (
        "Chưa hoàn thành chỉ tiêu phát triển đảng viên mới",
        "Rà soát nguồn quần chúng ưu tú, phân công đảng viên giúp đỡ",
    ),
    (
        "Sinh hoạt chi bộ có lúc chưa đúng định kỳ, nội dung còn đơn điệu",
        "Xây dựng chương trình sinh hoạt chuyên đề hằng quý",
    ),
    (
        "Giải quyết hồ sơ thủ tục hành chính có lúc còn trễ hạn",
        "Theo dõi hồ sơ hằng tuần, báo cáo chi ủy các hồ sơ sắp đến hạn",
    ),
    (
        "Tinh thần tự phê bình chưa cao, còn nể nang",
        "Tự giác nêu ưu, khuyết điểm tại các kỳ sinh hoạt chi bộ",
    ),
]

# The current cycle (forms, minutes) -----------------------------------------------

MATERNITY = "Nghỉ thai sản"
EXEMPTION_REASONS = [
    ("Ốm dài ngày, điều trị tại bệnh viện", 4),
    ("Đi công tác dài ngày ở nước ngoài", 2),
    ("Đang làm thủ tục chuyển sinh hoạt đảng", 3),
    (MATERNITY, 3),
]
ABSENCE_REASONS = ["Đi công tác", "Ốm, có đơn xin vắng", "Việc gia đình đột xuất"]
RESIDENTIAL_TYPES = ("phuong", "xa")
# How a level usually moves from last year's decision to this year's self-rating.
SELF_RATING_DRIFT = [(0, 0.8), (-1, 0.1), (1, 0.1)]
# Each level's self-score: share of every criterion's points, and its conditions
# (tasks on time, tasks exceeding the requirement, shortcomings remedied; %).
SELF_SCORES = {
    rules.EXCELLENT: ((0.91, 0.98), (100, 100), (30, 60), (100, 100)),
    rules.GOOD: ((0.73, 0.88), (100, 100), (5, 29), (80, 100)),
    rules.PASS: ((0.56, 0.68), (80, 95), (0, 10), (50, 90)),
    rules.FAIL: ((0.36, 0.48), (50, 75), (0, 0), (0, 50)),
}
CIVIL_SERVANT_RATINGS = {
    rules.EXCELLENT: "Hoàn thành xuất sắc nhiệm vụ",
    rules.GOOD: "Hoàn thành tốt nhiệm vụ",
    rules.PASS: "Hoàn thành nhiệm vụ",
    rules.FAIL: "Không hoàn thành nhiệm vụ",
}

MEMBER_ANSWERS = {
    "I-1": [
        "Luôn kiên định chủ nghĩa Mác - Lê-nin, tư tưởng Hồ Chí Minh; chấp hành "
        "nghiêm chủ trương của Đảng, chính sách, pháp luật của Nhà nước. Giữ gìn "
        "phẩm chất đạo đức, lối sống giản dị, lành mạnh; không có biểu hiện suy "
        "thoái, “tự diễn biến”, “tự chuyển hóa”.",
        "Có lập trường tư tưởng chính trị vững vàng, tin tưởng vào sự lãnh đạo của "
        "Đảng. Chấp hành nghiêm Điều lệ Đảng và những điều đảng viên không được làm; "
        "sinh hoạt đảng đầy đủ, đóng đảng phí đúng quy định.",
        "Thường xuyên học tập, quán triệt nghị quyết của Đảng; giữ mối liên hệ với "
        "chi ủy và nhân dân nơi cư trú; tác phong gần gũi quần chúng, đoàn kết với "
        "đồng chí, đồng nghiệp.",
    ],
    "work": [
        "Hoàn thành {on_time}% nhiệm vụ đúng tiến độ, {exceeding}% nhiệm vụ vượt "
        "yêu cầu; chủ động tham mưu, đề xuất giải pháp nâng cao hiệu quả công việc "
        "của cơ quan, đơn vị.",
        "Thực hiện đầy đủ chức trách được giao; {on_time}% nhiệm vụ hoàn thành đúng "
        "hạn, trong đó {exceeding}% vượt yêu cầu về chất lượng, tiến độ.",
    ],
    "home": [
        "Tham gia đầy đủ sinh hoạt chi bộ và hoạt động của {place}; vận động gia "
        "đình, bà con thực hiện tốt chủ trương của Đảng, chính sách, pháp luật của "
        "Nhà nước và quy ước của khu dân cư.",
        "Gương mẫu tham gia phong trào “Toàn dân đoàn kết xây dựng đời sống văn "
        "hóa” ở {place}; hoàn thành các nhiệm vụ chi bộ phân công.",
    ],
    "I-3": [
        "Thực hiện nghiêm túc bản cam kết tu dưỡng, rèn luyện, phấn đấu năm "
        "{year}; học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh "
        "gắn với nhiệm vụ được giao.",
        "Hoàn thành các nội dung đã đăng ký trong bản cam kết đầu năm {year}; giữ "
        "gìn đoàn kết, phát huy tinh thần trách nhiệm nêu gương.",
    ],
    "I-4": [
        "Lãnh đạo, điều hành đơn vị hoàn thành các chỉ tiêu được giao; phát huy dân "
        "chủ, giữ vững đoàn kết nội bộ; gương mẫu thực hiện trách nhiệm nêu gương "
        "của người đứng đầu.",
        "Phân công nhiệm vụ rõ người, rõ việc; kiểm tra, đôn đốc thường xuyên; được "
        "cán bộ, công chức trong đơn vị tín nhiệm.",
    ],
    "II": {
        rules.EXCELLENT: [
            "Việc nghiên cứu, cập nhật kiến thức mới có lúc chưa thường xuyên. "
            "Nguyên nhân: khối lượng công việc lớn, thời gian tự học còn ít.",
        ],
        rules.GOOD: [
            "Tinh thần tự phê bình và phê bình có lúc còn nể nang. Nguyên nhân chủ "
            "quan là bản thân chưa mạnh dạn góp ý.",
            "Một số việc còn giải quyết chậm so với kế hoạch. Nguyên nhân: sắp xếp "
            "công việc chưa thật khoa học.",
        ],
        rules.PASS: [
            "Một số nhiệm vụ hoàn thành chậm so với thời hạn; tham gia sinh hoạt chi "
            "bộ có lúc chưa đầy đủ. Nguyên nhân: chưa sắp xếp công việc khoa học, "
            "ý thức trách nhiệm có lúc chưa cao.",
        ],
        rules.FAIL: [
            "Không hoàn thành một số nhiệm vụ được giao, nhiều việc trễ hạn; chưa "
            "khắc phục các hạn chế đã được chỉ ra. Nguyên nhân chủ yếu là chủ quan.",
        ],
    },
    "V": [
        "",
        "",
        "Bản thân chịu trách nhiệm về những hạn chế, khuyết điểm đã nêu.",
    ],
    "VI": [
        "Tiếp tục học tập nâng cao trình độ lý luận chính trị, chuyên môn nghiệp vụ; "
        "sắp xếp công việc khoa học, bảo đảm tiến độ; phát huy tự phê bình và phê "
        "bình.",
        "Xây dựng kế hoạch công việc hằng tháng, theo dõi tiến độ; tích cực góp ý "
        "trong sinh hoạt chi bộ.",
    ],
    "III": "Không có hạn chế, khuyết điểm nào được cấp có thẩm quyền chỉ ra ở kỳ "
    "kiểm điểm trước còn phải khắc phục.",
}
COLLECTIVE_ANSWERS = {
    "I-1": [
        "Lãnh đạo hoàn thành {met}/{targets} chỉ tiêu chủ yếu của nghị quyết năm "
        "{year}; giữ vững ổn định chính trị, trật tự an toàn xã hội.",
        "Ban hành kịp thời chương trình, kế hoạch thực hiện nghị quyết; {met}/"
        "{targets} chỉ tiêu đạt và vượt kế hoạch năm {year}.",
    ],
    "I-2": [
        "Duy trì sinh hoạt định kỳ hằng tháng, nội dung có đổi mới; thực hiện "
        "nghiêm nguyên tắc tập trung dân chủ, tự phê bình và phê bình; thực hiện "
        "đúng quy chế làm việc.",
        "Sinh hoạt chuyên đề hằng quý theo hướng dẫn; các nghị quyết đều được "
        "thảo luận dân chủ, biểu quyết theo đa số.",
    ],
    "I-3": [
        "Thực hiện kế hoạch kiểm tra, giám sát năm {year}: kiểm tra {checked} đảng "
        "viên, giám sát chuyên đề {watched} đảng viên; không phát hiện vi phạm. "
        "Công tác phòng, chống tham nhũng, lãng phí, tiêu cực được quan tâm.",
    ],
    "II": [
        "Chất lượng sinh hoạt chuyên đề chưa đều; công tác phát triển đảng viên "
        "còn khó khăn về nguồn. Nguyên nhân: một số đảng viên chưa thật sự tích "
        "cực.",
        "Việc theo dõi, đôn đốc thực hiện nghị quyết có lúc chưa thường xuyên. "
        "Nguyên nhân: cấp ủy chưa phân công cụ thể từng nội dung.",
    ],
    "V": ["", "Trách nhiệm chính thuộc về tập thể cấp ủy và đồng chí bí thư."],
    "VI": [
        "Nâng cao chất lượng sinh hoạt; tăng cường kiểm tra, giám sát; tạo nguồn "
        "phát triển đảng viên mới.",
        "Cụ thể hóa nghị quyết thành chương trình hằng quý, phân công rõ người, rõ "
        "việc, rõ thời hạn.",
    ],
    "III": "Không có hạn chế, khuyết điểm được chỉ ra ở kỳ trước còn phải khắc phục.",
}
CARRY_ANSWERS = {
    CarryOverItem.Outcome.REMEDIED: "Đã khắc phục: {content}; kết quả được chi bộ "
    "ghi nhận.",
    CarryOverItem.Outcome.CARRIED: "Đã có chuyển biến nhưng chưa dứt điểm; tiếp "
    "tục thực hiện trong năm tới.",
}
MEETING_COMMENTS = {
    rules.EXCELLENT: [
        "Đồng chí gương mẫu, hoàn thành xuất sắc nhiệm vụ; cần tiếp tục phát huy.",
        "Nhất trí với bản tự kiểm điểm; đồng chí là điển hình trong chi bộ.",
    ],
    rules.GOOD: [
        "Nhất trí với bản tự kiểm điểm; đồng chí cần mạnh dạn góp ý hơn trong "
        "sinh hoạt.",
        "Đồng chí hoàn thành tốt nhiệm vụ; đề nghị chú ý tiến độ một số việc.",
        "Không có ý kiến khác với bản tự kiểm điểm.",
    ],
    rules.PASS: [
        "Đồng chí cần khắc phục việc chậm tiến độ và tham gia sinh hoạt đầy đủ hơn.",
    ],
    rules.FAIL: [
        "Đồng chí chưa khắc phục khuyết điểm đã được chỉ ra; đề nghị có kế hoạch "
        "khắc phục cụ thể.",
    ],
    "collective": [
        "Các đảng viên nhất trí với báo cáo kiểm điểm; đề nghị bổ sung giải pháp "
        "nâng cao chất lượng sinh hoạt.",
        "Thống nhất với báo cáo; làm rõ thêm nguyên nhân chậm phát triển đảng viên.",
    ],
}
