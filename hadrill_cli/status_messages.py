"""`hadrill status`'s lines in English and Japanese (merged into hadrill_cli.messages.CATALOG).

Kept apart so that other commands' messages and these merge without touching the same lines. The
``status_problem_*`` and ``status_note_*`` English entries are hadrill.status's PROBLEM_TEXT and
NOTE_TEXT word for word (a test checks it): the JSON output carries the English text.
"""

from __future__ import annotations

from typing import Literal

STATUS_CATALOG: dict[str, dict[Literal["en", "ja"], str]] = {
    "status_need_cluster_or_local": {
        "en": "give --cluster NAME (a deployed cluster) or --local",
        "ja": "--cluster NAME (デプロイ済みのクラスタ) か --local を指定してください",
    },
    "status_wait_range": {
        "en": "--wait must be between 1 and 600 seconds",
        "ja": "--wait は 1 以上 600 以下の秒数で指定してください",
    },
    "status_local": {
        "en": "status of {cluster} on a simulated cluster as setup leaves it ({mode})",
        "ja": "{cluster} の状態 (セットアップ直後の模擬クラスタ、{mode})",
    },
    "status_sim_fault": {"en": "simulated fault: {fault}", "ja": "模擬障害: {fault}"},
    "status_step_sent": {
        "en": "to {sent} of {total} nodes (one command)",
        "ja": "{total} ノード中 {sent} ノードへ送信 (コマンド 1 回)",
    },
    "status_step_answers": {
        "en": "{answered} of {total} nodes answered",
        "ja": "{total} ノード中 {answered} ノードが応答",
    },
    "status_step_routes": {"en": "{count} route table(s)", "ja": "ルートテーブル {count} 個"},
    "status_step_records_free": {
        "en": "lock free; {count} drill record(s) read",
        "ja": "ロックなし; 訓練記録 {count} 件を読み取り",
    },
    "status_step_records_held": {
        "en": "lock held; {count} drill record(s) read",
        "ja": "ロックあり; 訓練記録 {count} 件を読み取り",
    },
    "status_step_schedules": {
        "en": "{count} rule(s), {enabled} enabled",
        "ja": "ルール {count} 個 (有効 {enabled} 個)",
    },
    "status_reading": {"en": "reading the status of {cluster}", "ja": "{cluster} の状態を読み取ります"},
    "status_healthy": {
        "en": "{cluster}: HEALTHY, {tag} active on {node} ({role})",
        "ja": "{cluster}: 正常 (HEALTHY)、{tag} は {node} ({role}) で稼働中",
    },
    "status_degraded": {
        "en": "{cluster}: DEGRADED, {count} problem(s); {tag} active on {node}",
        "ja": "{cluster}: 異常あり (DEGRADED)、問題 {count} 件; {tag} の稼働ノード: {node}",
    },
    "status_no_active": {"en": "none", "ja": "なし"},
    "status_checked": {"en": "checked {checked} (UTC)", "ja": "確認時刻 {checked} (UTC)"},
    "status_role_primary": {"en": "primary", "ja": "稼働系 (primary)"},
    "status_role_secondary": {"en": "secondary", "ja": "待機系 (secondary)"},
    "status_node_head": {
        "en": "node {node} ({role}, {instance}): {state}",
        "ja": "ノード {node} ({role}, {instance}): {state}",
    },
    "status_node_active": {"en": "ACTIVE", "ja": "稼働中 (ACTIVE)"},
    "status_node_standby": {"en": "standby", "ja": "待機 (standby)"},
    "status_node_unreachable": {"en": "UNREACHABLE: {reason}", "ja": "到達不能 (UNREACHABLE): {reason}"},
    "status_lk_down": {"en": "LifeKeeper not running", "ja": "LifeKeeper 停止中"},
    "status_resource_header": {
        "en": "  resource hierarchy     id                     state",
        "ja": "  リソース階層           ID                     状態",
    },
    "status_no_resources": {"en": "  no resources", "ja": "  リソースなし"},
    "status_comm_paths": {"en": "  comm paths: {paths}", "ja": "  コミュニケーションパス: {paths}"},
    "status_comm_paths_none": {"en": "none", "ja": "なし"},
    "status_daemons": {
        "en": "  HULFT daemons: {daemons}; {mount} {mounted}",
        "ja": "  HULFT デーモン: {daemons}; {mount} {mounted}",
    },
    "status_daemons_none": {"en": "none", "ja": "なし"},
    "status_mounted": {"en": "mounted", "ja": "マウント済み"},
    "status_not_mounted": {"en": "not mounted", "ja": "未マウント"},
    "status_mirror": {"en": "  mirror {tag}: {state}, {percent}", "ja": "  ミラー {tag}: {state}、{percent}"},
    "status_mirror_in_sync": {"en": "in sync", "ja": "同期済み"},
    "status_mirror_not_in_sync": {"en": "NOT in sync", "ja": "未同期"},
    "status_percent": {"en": "{percent}% synced", "ja": "同期率 {percent}%"},
    "status_percent_unknown": {"en": "sync percentage unknown", "ja": "同期率不明"},
    "status_versions": {"en": "  versions: {versions}", "ja": "  バージョン: {versions}"},
    "status_route": {
        "en": "VIP route {vip}/32 -> {eni} ({node})",
        "ja": "VIP ルート {vip}/32 -> {eni} ({node})",
    },
    "status_route_unknown_node": {"en": "not a node of this cluster", "ja": "このクラスタのノードではありません"},
    "status_route_error": {"en": "VIP route {vip}/32: {error}", "ja": "VIP ルート {vip}/32: {error}"},
    "status_lock_free": {"en": "drill lock: free", "ja": "訓練ロック: なし"},
    "status_lock_held": {
        "en": "drill lock: held by {drill_id} since {acquired}, until {expires}{expired}",
        "ja": "訓練ロック: {drill_id} が {acquired} から {expires} まで保持{expired}",
    },
    "status_lock_expired": {"en": " (expired)", "ja": " (期限切れ)"},
    "status_last_drill": {
        "en": "last drill: {drill_id} {scenario} {outcome}, RTO {rto}, started {started}",
        "ja": "前回の訓練: {drill_id} {scenario} {outcome}、RTO {rto}、開始 {started}",
    },
    "status_no_drill": {"en": "last drill: none recorded", "ja": "前回の訓練: 記録なし"},
    "status_next_drill": {
        "en": "next drill: {when} ({rule}, {expression})",
        "ja": "次回の訓練: {when} ({rule}, {expression})",
    },
    "status_no_schedule": {"en": "next drill: none scheduled{disabled}", "ja": "次回の訓練: 予定なし{disabled}"},
    "status_disabled_rules": {
        "en": " ({count} schedule(s) disabled: {rules})",
        "ja": " (無効のスケジュール {count} 件: {rules})",
    },
    "status_problems": {"en": "problems:", "ja": "問題:"},
    "status_notes": {"en": "notes:", "ja": "注記:"},
    # -- problems and notes (the English text is hadrill.status's, word for word) ------------------
    "status_problem_node_unreachable": {
        "en": "{node}: unreachable ({reason})",
        "ja": "{node}: 到達できません ({reason})",
    },
    "status_problem_node_unreadable": {
        "en": "{node}: its status could not be read ({reason})",
        "ja": "{node}: 状態を読み取れません ({reason})",
    },
    "status_problem_lk_down": {"en": "{node}: LifeKeeper is not running", "ja": "{node}: LifeKeeper が停止しています"},
    "status_problem_lk_not_initialized": {
        "en": "{node}: LifeKeeper is running but not initialized (no LK_INITDONE)",
        "ja": "{node}: LifeKeeper は起動していますが初期化が完了していません (LK_INITDONE なし)",
    },
    "status_problem_hierarchy_undefined": {
        "en": "{node}: resource hierarchy {tag} is not defined",
        "ja": "{node}: リソース階層 {tag} が定義されていません",
    },
    "status_problem_no_active_node": {
        "en": "hierarchy {tag} is in service on no node",
        "ja": "リソース階層 {tag} がどのノードでも稼働していません",
    },
    "status_problem_two_active_nodes": {
        "en": "hierarchy {tag} is in service on both nodes: {nodes}",
        "ja": "リソース階層 {tag} が両ノードで稼働しています: {nodes}",
    },
    "status_problem_resource_failed": {
        "en": "{node}: resource {tag} is OSF (out of service, failed)",
        "ja": "{node}: リソース {tag} が OSF (障害で停止) です",
    },
    "status_problem_resource_not_in_service": {
        "en": "{node}: resource {tag} is {state}, expected ISP on the active node",
        "ja": "{node}: リソース {tag} が {state} です (稼働ノードでは ISP のはず)",
    },
    "status_problem_resource_in_service_on_standby": {
        "en": "{node}: resource {tag} is {state} on the standby",
        "ja": "{node}: 待機ノードでリソース {tag} が {state} です",
    },
    "status_problem_daemon_missing": {
        "en": "{node}: HULFT daemon {daemon} is not running on the active node",
        "ja": "{node}: 稼働ノードで HULFT デーモン {daemon} が動いていません",
    },
    "status_problem_daemon_on_standby": {
        "en": "{node}: HULFT daemon {daemon} runs on the standby",
        "ja": "{node}: 待機ノードで HULFT デーモン {daemon} が動いています",
    },
    "status_problem_comm_path_dead": {
        "en": "{node}: comm path to {peer} over {addresses} is DEAD",
        "ja": "{node}: {peer} へのコミュニケーションパス ({addresses}) が DEAD です",
    },
    "status_problem_no_comm_paths": {
        "en": "{node}: no comm path is defined",
        "ja": "{node}: コミュニケーションパスが定義されていません",
    },
    "status_problem_mirror_not_in_sync": {
        "en": "{node}: mirror {tag} is not in sync ({mirror})",
        "ja": "{node}: ミラー {tag} が同期していません ({mirror})",
    },
    "status_problem_data_not_mounted": {
        "en": "{node}: {mount} is not mounted on the active node",
        "ja": "{node}: 稼働ノードで {mount} がマウントされていません",
    },
    "status_problem_data_mounted_on_standby": {
        "en": "{node}: {mount} is mounted on the standby",
        "ja": "{node}: 待機ノードで {mount} がマウントされています",
    },
    "status_problem_vip_route_error": {"en": "VIP route: {reason}", "ja": "VIP ルート: {reason}"},
    "status_problem_vip_route_elsewhere": {
        "en": "VIP route {vip}/32 points at {eni} ({target}), not at the active node {node}",
        "ja": "VIP ルート {vip}/32 の向き先が {eni} ({target}) で、稼働ノード {node} ではありません",
    },
    "status_problem_records_unreadable": {"en": "{what}: {reason}", "ja": "{what}: {reason}"},
    "status_note_on_secondary": {
        "en": "the hierarchy runs on the secondary {node}: bring it home with a switchback when ready",
        "ja": "リソース階層は待機系 {node} で稼働中です: 準備ができたら切り戻してください",
    },
    "status_note_lock_held": {
        "en": "drill lock held by {drill_id} until {expires}",
        "ja": "訓練ロックを {drill_id} が {expires} まで保持しています",
    },
    "status_note_lock_stale": {
        "en": "drill lock of {drill_id} expired at {expires}: the next drill breaks it",
        "ja": "{drill_id} の訓練ロックは {expires} に期限切れです: 次の訓練が解除します",
    },
    "status_note_last_drill_not_passed": {
        "en": "the last drill {drill_id} was {outcome}: {reason}",
        "ja": "前回の訓練 {drill_id} は {outcome} でした: {reason}",
    },
}
