#!/usr/bin/env python3
"""A synthetic village register for measuring `doorstep import households`.

Deterministic: the same arguments write the same bytes. One row per
resident, one to six residents a household (about 2.6 on average), the
columns and the forms a commune's export has: Vietnamese headers, a
byte-order mark, quoted addresses with commas, phones with and without
their leading zero, the four presences, residents abroad with their
country, needs by code or by Vietnamese name.

Usage:
  import_register.py ROWS OUT.csv [--seed S] [--prefix P] [--villages "A|B|…"]
                     [--change N] [--bad-line L]
  --change N    every N-th resident renamed (a changed register: re-import
                updates only those)
  --bad-line L  the data row on file line L gets a birth year of 1790
"""

import argparse
import random

HEADER = (
    "Mã hộ,Mã nhân khẩu,Họ và tên,Năm sinh,Số điện thoại,Địa chỉ,Thôn/Tổ dân phố,"
    "Vĩ độ,Kinh độ,Hiện trạng,Quốc gia,Múi giờ,Nhu cầu"
)
FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng",
          "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý", "Mai", "Trịnh"]
MIDDLE_M = ["Văn", "Đức", "Quang", "Minh", "Hữu", "Công"]
MIDDLE_F = ["Thị", "Ngọc", "Thu", "Thanh", "Kim"]
GIVEN = ["An", "Bình", "Cường", "Dũng", "Hà", "Hải", "Hạnh", "Hoa", "Hùng", "Hương", "Lan",
         "Long", "Mai", "Nam", "Nga", "Phúc", "Quân", "Sơn", "Tâm", "Thắng", "Thảo", "Trang",
         "Tuấn", "Việt", "Yến"]
NEEDS = ["vneid_install", "vneid_level2", "documents", "e_payment", "scam_awareness",
         "public_services", "Cài đặt VNeID"]
ABROAD = [("Hàn Quốc", ""), ("KR", ""), ("Nhật Bản", "Asia/Tokyo"), ("Đài Loan", ""),
          ("DE", "Europe/Berlin")]
DEFAULT_VILLAGES = ("Tổ dân phố Tân Thành|Thanh Bình|Tổ dân phố Thanh Xuân|Bắc Hải")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("rows", type=int)
    p.add_argument("out")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--prefix", default="SX")
    p.add_argument("--villages", default=DEFAULT_VILLAGES)
    p.add_argument("--change", type=int, default=0)
    p.add_argument("--bad-line", type=int, default=0)
    a = p.parse_args()
    villages = a.villages.split("|")
    rng = random.Random(a.seed)
    written = 0
    household = 0
    with open(a.out, "w", encoding="utf-8", newline="") as f:
        f.write("\ufeff" + HEADER + "\r\n")
        while written < a.rows:
            household += 1
            size = min(rng.choice([1, 2, 2, 3, 3, 3, 4, 4, 5, 6]), a.rows - written)
            key = f"{a.prefix}-{household:07d}"
            v = rng.randrange(len(villages))
            village = villages[v]
            lat = 19.36 + rng.random() * 0.02
            lon = 105.78 + rng.random() * 0.02
            address = f"Số {rng.randint(1, 200)}, ngõ {rng.randint(1, 40)}, {village}"
            family = rng.choice(FAMILY)
            for r in range(1, size + 1):
                written += 1
                line = written + 1
                female = rng.random() < 0.5
                name = " ".join([family if r == 1 or rng.random() < 0.6 else rng.choice(FAMILY),
                                 rng.choice(MIDDLE_F if female else MIDDLE_M),
                                 rng.choice(GIVEN)])
                if a.change and written % a.change == 0:
                    name += " Mới"
                year = str(rng.randint(1940, 2015))
                if line == a.bad_line:
                    year = "1790"
                roll = rng.random()
                phone = ("" if roll < 0.2 else
                         f"09{rng.randint(0, 99_999_999):08d}" if roll < 0.7 else
                         f"{rng.randint(3, 9)}{rng.randint(0, 99_999_999):08d}" if roll < 0.85 else
                         f"+84 9{rng.randint(10, 99)} {rng.randint(100, 999)} {rng.randint(100, 999)}")
                roll = rng.random()
                presence, country, zone = "Ở nhà", "", ""
                if roll < 0.15:
                    presence = "Đi biển"
                elif roll < 0.25:
                    presence = "Làm ăn xa"
                elif roll < 0.30:
                    presence = "Ở nước ngoài"
                    country, zone = rng.choice(ABROAD)
                needs = "; ".join(sorted(set(rng.choice(NEEDS) for _ in range(rng.randint(0, 3)))))
                first = r == 1
                f.write(",".join([
                    key, str(r), name, year, phone,
                    f'"{address}"' if first else "",
                    village if first else "",
                    f"{lat:.5f}" if first else "",
                    f"{lon:.5f}" if first else "",
                    presence, country, zone, needs,
                ]) + "\r\n")


if __name__ == "__main__":
    main()
