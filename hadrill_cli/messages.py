"""The operator-facing lines of the CLI in English and Japanese.

The language comes from `--lang`, then `HADRILL_LANG`, then the locale (the first of LC_ALL,
LC_MESSAGES, LANG that is set: a value starting with `ja` means Japanese, anything else English).
Only the lines people read are translated: `--json` output, argparse's --help, Step Functions state
names and statuses (SUCCEEDED, FAILED: what the console and the logs show) and the text the Lambdas
return stay as they are, so scripts and searches keep working.

`main()` picks the language once per run with `use()`; the commands then call `t(key, **values)`.
The English entries reproduce the CLI's original wording exactly (tests and operators' scripts grep
for them).

Japanese terms follow what LifeKeeper operators say: フェールオーバー (failover), 切り戻し
(switchback), 訓練 (drill), 稼働系 (the primary, active node), 待機系 (the standby), RTO,
リソース階層 (resource hierarchy), フリート訓練 (a fleet drill: one scenario on many clusters),
同時実行数 (concurrency).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Literal, get_args

Language = Literal["en", "ja"]
LANGUAGES: tuple[Language, ...] = get_args(Language)
LOCALE_VARIABLES = ("LC_ALL", "LC_MESSAGES", "LANG")

# key -> {language: str.format template}. Both languages must use the same placeholders
# (tests/cli/test_messages.py checks it).
CATALOG: dict[str, dict[Language, str]] = {
    # -- common error lines (stderr, after "hadrill <command>: ") ---------------------------------
    "config_error": {"en": "config error: {error}", "ja": "設定エラー: {error}"},
    "bad_input": {"en": "bad input: {problem}", "ja": "入力が不正です: {problem}"},
    "aws_error": {"en": "{error}", "ja": "AWS 環境のエラー: {error}"},
    "need_cluster_or_local": {
        "en": "give --cluster NAME (a deployed cluster) or --local",
        "ja": "--cluster NAME (デプロイ済みのクラスタ) か --local を指定してください",
    },
    "sim_needs_local": {
        "en": "--sim-* options need --local",
        "ja": "--sim-* オプションは --local と一緒に指定してください",
    },
    "cluster_mismatch": {
        "en": "--cluster {cluster} is not {config}'s {expected}",
        "ja": "--cluster {cluster} は {config} のクラスタ名 {expected} と一致しません",
    },
    "sim_takeover_range": {
        "en": "--sim-takeover-seconds must be between 0 and 600",
        "ja": "--sim-takeover-seconds は 0 より大きく 600 以下で指定してください",
    },
    "repeat_at_least_one": {
        "en": "--repeat must be at least 1",
        "ja": "--repeat は 1 以上で指定してください",
    },
    "output_needs_html": {
        "en": "--output needs --html",
        "ja": "--output は --html と一緒に指定してください",
    },
    "bad_drill_id": {
        "en": "{drill_id} is not a drill id",
        "ja": "{drill_id} は訓練 ID ではありません",
    },
    "no_report": {"en": "no report {path}", "ja": "レポートがありません: {path}"},
    "skipped_record": {
        "en": "skipped {what}: {error}",
        "ja": "{what} を読み飛ばしました: {error}",
    },
    "limit_at_least_one": {
        "en": "--limit must be between 1 and 1000",
        "ja": "--limit は 1 以上 1000 以下で指定してください",
    },
    "unreadable_report": {"en": "cannot read {path}: {error}", "ja": "{path} を読めません: {error}"},
    "cannot_write": {"en": "cannot write {path}: {error}", "ja": "{path} に書き込めません: {error}"},
    "no_drill_recorded": {
        "en": "no drill {drill_id} recorded for {cluster}",
        "ja": "{cluster} に訓練 {drill_id} の記録はありません",
    },
    "interrupted": {"en": "interrupted", "ja": "中断しました"},
    # -- the local world's label -------------------------------------------------------------------
    "local_mode": {
        # The same words as hadrill_cli.local.LOCAL_MODE (a test keeps them equal).
        "en": "local (moto + simulated LifeKeeper/HULFT: a test double, not the real products)",
        "ja": "ローカル (moto + LifeKeeper/HULFT のシミュレータ: テストダブルであり、実製品ではありません)",
    },
    # -- progress ----------------------------------------------------------------------------------
    "setup_run_local": {
        "en": "setup of {cluster}, run {attempt}/{repeat} - {mode}",
        "ja": "{cluster} のセットアップ (実行 {attempt}/{repeat}) - {mode}",
    },
    "setup_started": {"en": "setup of {cluster}: {arn}", "ja": "{cluster} のセットアップ: {arn}"},
    "probe_table": {
        "en": "conformance probe: {summary} (assumption: ok / MISMATCH / unchecked, what it saw)",
        "ja": "適合性プローブ: {summary} (前提: ok / MISMATCH / unchecked、確認した内容)",
    },
    "probe_stop": {"en": "setup stops here: {line}", "ja": "ここでセットアップを止めます: {line}"},
    "probe_raw": {
        "en": "raw outputs the probe read (attach them to a bug report): {where}",
        "ja": "プローブが読んだ生の出力 (不具合報告に添付してください): {where}",
    },
    "drill_local": {
        "en": "drill {scenario} on {cluster} - {mode}",
        "ja": "{cluster} で {scenario} のフェールオーバー訓練 - {mode}",
    },
    "drill_started": {
        "en": "drill {scenario} on {cluster}: {arn}",
        "ja": "{cluster} で {scenario} のフェールオーバー訓練: {arn}",
    },
    "sim_takeover": {
        "en": "simulated takeover: detection {detection:.2f} s + restore {restore:.2f} s"
        " (waited for at most {timeout} s)",
        "ja": "シミュレートするフェールオーバー: 検出 {detection:.2f} 秒 + 待機系での起動 {restore:.2f} 秒"
        " (最大 {timeout} 秒待ちます)",
    },
    "sim_fault": {"en": "simulated fault: {fault}", "ja": "シミュレートする障害: {fault}"},
    "fleet_sim_fault": {
        "en": "simulated fault on {cluster} only: {fault}",
        "ja": "{cluster} だけにシミュレートする障害: {fault}",
    },
    "step_skipped": {"en": "skipped: {message}", "ja": "スキップ: {message}"},
    "checks_passed": {"en": "{passed}/{total} checks passed", "ja": "チェック {passed}/{total} 件合格"},
    "live_interrupted": {"en": "interrupted", "ja": "中断"},
    "live_still_running": {"en": "still running", "ja": "実行中のまま"},
    # -- closing lines -----------------------------------------------------------------------------
    "workflow_setup": {"en": "setup", "ja": "セットアップ"},
    "workflow_first_setup": {
        "en": "setup (first, on the fresh cluster)",
        "ja": "セットアップ (新しいクラスタで最初に実行)",
    },
    "workflow_drill": {"en": "drill workflow", "ja": "訓練ワークフロー"},
    "closing": {"en": "{workflow} {status}{seconds} ({cost})", "ja": "{workflow} {status}{seconds} ({cost})"},
    "closing_seconds": {"en": " in {seconds:.1f}s", "ja": " {seconds:.1f} 秒"},
    "closing_cost": {
        "en": "{transitions} state transitions, {invocations} Lambda invocations",
        "ja": "状態遷移 {transitions} 回、Lambda 呼び出し {invocations} 回",
    },
    "closing_ssm": {"en": ", {commands} SSM commands", "ja": "、SSM コマンド {commands} 件"},
    # -- the drill's result, printed by `hadrill drill` ---------------------------------------------
    "no_report_written": {
        "en": "no report was written: {error}: {cause}",
        "ja": "レポートが書かれませんでした: {error}: {cause}",
    },
    "no_report_found": {
        "en": "no report: {status} {error}: {cause}",
        "ja": "レポートがありません: {status} {error}: {cause}",
    },
    "failed_check": {
        "en": "  FAILED CHECK {phase}: {name}: {detail}",
        "ja": "  不合格のチェック {phase}: {name}: {detail}",
    },
    "reports_written": {"en": "reports: {stem}.json, .md, .html", "ja": "レポート: {stem}.json, .md, .html"},
    "html_written": {"en": "wrote {path}", "ja": "{path} に書き出しました"},
    # The drill report's head in Japanese (English prints the Lambda's own Markdown head).
    "head_title": {"en": "# Drill {drill_id}: {outcome}", "ja": "# フェールオーバー訓練 {drill_id}: {outcome}"},
    "head_cluster": {
        "en": "- cluster: {cluster}, scenario: {scenario}{dry_run}",
        "ja": "- クラスタ: {cluster}、シナリオ: {scenario}{dry_run}",
    },
    "head_dry_run": {"en": " (dry run)", "ja": " (ドライラン: 障害は起こしていません)"},
    "head_reason": {"en": "- reason: {reason}", "ja": "- 理由: {reason}"},
    "head_times": {
        "en": "- started {started}, finished {finished} ({seconds:.1f} s)",
        "ja": "- 開始 {started}、終了 {finished} ({seconds:.1f} 秒)",
    },
    "head_rto": {
        "en": "- RTO: {rto} (SLO {slo} s), from {source} to {target}",
        # Neutral "from A to B": a dry run or a failed takeover has no failover to name.
        "ja": "- RTO: {rto} (SLO {slo} 秒)、{source} から {target} へ",
    },
    "head_rto_value": {"en": "{bound}{seconds:.3f} s", "ja": "{bound}{seconds:.3f} 秒"},
    "head_rto_unmeasured": {"en": "not measured", "ja": "計測できず"},
    "head_detection": {
        "en": "- detection {detection:.3f} s (fault to the first sign of takeover on the standby), "
        "restore {restore:.3f} s",
        "ja": "- 検出 {detection:.3f} 秒 (障害発生から待機系で引き継ぎが始まるまで)、"
        "リソース階層の起動 {restore:.3f} 秒",
    },
    "head_recovery": {"en": "- recovery: {detail}", "ja": "- 稼働系の復旧: {detail}"},
    "head_switchback": {"en": "- switchback: {detail}", "ja": "- 切り戻し: {detail}"},
    "head_stale_lock": {
        "en": "- broke the expired lock of {drill_id} (taken {acquired})",
        "ja": "- 期限切れのロック ({drill_id}、取得 {acquired}) を解除しました",
    },
    # -- fleet drills (`hadrill drill --fleet`) ----------------------------------------------------
    "fleet_drop_cluster_options": {
        "en": "--fleet drills every cluster: drop --cluster, --sim-takeover-seconds, --stop-alarm",
        "ja": "--fleet はフリートの全クラスタを訓練します: "
        "--cluster、--sim-takeover-seconds、--stop-alarm は外してください",
    },
    "fleet_local_drop_name": {
        "en": "--fleet --local builds its own simulated fleet: drop the NAME and --only",
        "ja": "--fleet --local はシミュレートしたフリートを自分で用意します: NAME と --only は外してください",
    },
    "need_fleet_or_local": {
        "en": "give --fleet NAME (a deployed fleet) or --fleet --local",
        "ja": "--fleet NAME (デプロイ済みのフリート) か --fleet --local を指定してください",
    },
    "fleet_options_need_fleet": {
        "en": "--max-concurrency, --max-failed, --only, --sim-clusters and --sim-setup need --fleet",
        "ja": "--max-concurrency、--max-failed、--only、--sim-clusters、--sim-setup は"
        " --fleet と一緒に指定してください",
    },
    "sim_clusters_range": {
        "en": "--sim-clusters must be between 1 and {maximum}",
        "ja": "--sim-clusters は 1 以上 {maximum} 以下で指定してください",
    },
    "fleet_local": {
        "en": "fleet drill {scenario} on {clusters} clusters, {concurrency} at a time - {mode}",
        "ja": "{clusters} クラスタで {scenario} のフリート訓練 (同時実行数 {concurrency}) - {mode}",
    },
    "fleet_started": {
        "en": "fleet drill {scenario} on {fleet}: {arn}",
        "ja": "{fleet} で {scenario} のフリート訓練: {arn}",
    },
    "fleet_deployed": {
        "en": "deployed {clusters} simulated clusters in {seconds:.1f}s",
        "ja": "シミュレートした {clusters} クラスタを {seconds:.1f} 秒でデプロイしました",
    },
    "fleet_no_setup": {
        "en": "clusters start as the setup workflow leaves them (--sim-setup runs setup on each first)",
        "ja": "各クラスタはセットアップ済みの状態から始めます "
        "(--sim-setup を付けると先に各クラスタでセットアップを実行します)",
    },
    "fleet_setup_progress": {
        "en": "  setup [{done:>3}/{total}] {cluster:<24} {status}",
        "ja": "  セットアップ [{done:>3}/{total}] {cluster:<24} {status}",
    },
    "fleet_setup_took": {
        "en": "setup on {clusters} clusters took {seconds:.1f}s",
        "ja": "{clusters} クラスタのセットアップに {seconds:.1f} 秒かかりました",
    },
    "fleet_setup_failed": {
        "en": "setup failed on {clusters}: no fleet drill was started",
        "ja": "{clusters} でセットアップに失敗しました: フリート訓練は開始していません",
    },
    "fleet_cluster_drilling": {
        "en": "  ... {cluster:<24} drilling",
        "ja": "  ... {cluster:<24} 訓練中",
    },
    "fleet_cluster_done": {
        "en": "  [{done:>3}/{total}] {cluster:<24} {verdict:<14} {seconds:6.1f}s",
        "ja": "  [{done:>3}/{total}] {cluster:<24} {verdict:<14} {seconds:6.1f} 秒",
    },
    "fleet_no_summary_written": {
        "en": "no fleet summary was written: {error}: {cause}",
        "ja": "フリート訓練のサマリが書かれませんでした: {error}: {cause}",
    },
    "fleet_no_summary_found": {
        "en": "no fleet summary {location}: {error}",
        "ja": "フリート訓練のサマリ {location} を読めません: {error}",
    },
    "fleet_title": {
        "en": "fleet drill {fleet_id}: {outcome} in {seconds} ({counts})",
        "ja": "フリート訓練 {fleet_id}: {outcome} {seconds} ({counts})",
    },
    "fleet_seconds": {"en": "{seconds:.1f}s", "ja": "{seconds:.1f} 秒"},
    "fleet_seconds_unknown": {"en": "?", "ja": "所要時間不明"},
    "fleet_count": {"en": "{outcome} {count}", "ja": "{outcome} {count} 件"},
    "list_separator": {"en": ", ", "ja": "、"},
    "fleet_rto": {
        "en": "RTO: max {maximum:.3f}s ({slowest}), median {median:.3f}s",
        "ja": "RTO: 最大 {maximum:.3f} 秒 ({slowest})、中央値 {median:.3f} 秒",
    },
    # The table's column heads, padded by display width (a Japanese character takes two columns).
    "fleet_column_cluster": {"en": "cluster", "ja": "クラスタ"},
    "fleet_column_outcome": {"en": "outcome", "ja": "結果"},
    "fleet_column_rto": {"en": "RTO", "ja": "RTO"},
    "fleet_column_reason": {"en": "reason", "ja": "理由"},
    "fleet_rto_cell": {"en": "{seconds:.3f}s", "ja": "{seconds:.3f} 秒"},
    "fleet_files": {
        "en": "fleet summary: {summary}; each cluster's drill report: {reports_dir}/<drill id>.json, .md, .html",
        "ja": "フリート訓練のサマリ: {summary}、各クラスタの訓練レポート: {reports_dir}/<訓練 ID>.json, .md, .html",
    },
    # -- history -----------------------------------------------------------------------------------
    "no_drills": {"en": "no drills recorded in {where}", "ja": "{where} に記録された訓練はありません"},
    "cluster_named": {"en": "cluster {cluster}", "ja": "クラスタ {cluster}"},
}

# Outcomes stay the words the records and the JSON use; Japanese adds a gloss after them.
OUTCOME_GLOSS_JA = {"PASSED": "合格", "FAILED": "不合格", "ABORTED": "中止"}

_language: Language = "en"


def language_of_locale(environ: Mapping[str, str]) -> Language:
    """POSIX order: the first of LC_ALL, LC_MESSAGES, LANG that is set decides (LC_ALL=C wins over LANG=ja)."""
    for variable in LOCALE_VARIABLES:
        value = environ.get(variable, "")
        if value:
            return "ja" if value.lower().startswith("ja") else "en"
    return "en"


def parse_language(value: str) -> Language | None:
    """`ja`, `ja_JP.UTF-8`, `en`, `en_US` -> the language; anything else None."""
    lowered = value.strip().lower()
    return next((language for language in LANGUAGES if lowered.startswith(language)), None)


def resolve_language(option: str | None, environ: Mapping[str, str] | None = None) -> Language:
    """`--lang`, then HADRILL_LANG, then the locale. Raises ValueError for a HADRILL_LANG it cannot read."""
    env = os.environ if environ is None else environ
    if option:
        chosen = parse_language(option)
        if chosen is None:
            raise ValueError(f"--lang must be one of {', '.join(LANGUAGES)}")
        return chosen
    override = env.get("HADRILL_LANG", "")
    if override:
        chosen = parse_language(override)
        if chosen is None:  # an explicit override that is wrong should say so, not silently fall back
            raise ValueError(f"HADRILL_LANG={override} is not one of {', '.join(LANGUAGES)}")
        return chosen
    return language_of_locale(env)


def use(language: Language) -> None:
    """Set the language for the rest of this run (main() calls it once, before any output)."""
    global _language
    _language = language


def current() -> Language:
    return _language


def t(key: str, **values: object) -> str:
    """The message `key` in the current language, filled in with `values`."""
    return CATALOG[key][_language].format(**values)


def outcome_text(outcome: str) -> str:
    """PASSED, or in Japanese `PASSED (合格)`: the machine word stays so it can be searched for."""
    gloss = OUTCOME_GLOSS_JA.get(outcome) if _language == "ja" else None
    return f"{outcome} ({gloss})" if gloss else outcome


# `hadrill status` (issue 17) keeps its lines in their own module, merged here.
from hadrill_cli.status_messages import STATUS_CATALOG  # noqa: E402

CATALOG.update(STATUS_CATALOG)

# -- hadrill switchback / switchover (issue 17): appended here so they merge apart from the lines above --
CATALOG.update(
    {
        "switch_to_primary": {"en": "its primary", "ja": "稼働系 (プライマリ)"},
        "switch_confirm": {
            "en": "Move the resource hierarchy of {cluster} to {target}? HULFT stops while it moves. [y/N] ",
            "ja": "{cluster} のリソース階層を {target} へ移しますか? 移動中は HULFT が止まります。[y/N] ",
        },
        "switch_needs_yes": {
            "en": "this moves the resource hierarchy and asks first, but stdin is not a terminal: "
            "add --yes to move it without asking (nothing was started)",
            "ja": "リソース階層を移す前に確認しますが、標準入力が端末ではありません。"
            "確認なしで移すには --yes を付けてください (何も開始していません)",
        },
        "switch_declined": {
            "en": "not confirmed: nothing was started",
            "ja": "確認されませんでした。何も開始していません",
        },
        "switch_unknown_node": {
            "en": "--to {node} is not a node of {cluster} ({nodes})",
            "ja": "--to {node} は {cluster} のノードではありません ({nodes})",
        },
        "switch_started": {
            "en": "{kind} of {cluster} started: {arn}",
            "ja": "{cluster} の {kind} を開始しました: {arn}",
        },
        "switch_local": {
            "en": "{kind} on {cluster} - {mode}",
            "ja": "{cluster} で {kind} - {mode}",
        },
        "switch_local_drill": {
            "en": "drill with --no-switchback (leaves the hierarchy on the standby)",
            "ja": "--no-switchback の訓練 (リソース階層を待機系に残します)",
        },
        "switch_local_start": {
            "en": "the resource hierarchy is in service on {node}",
            "ja": "リソース階層は {node} で稼働中です",
        },
        "workflow_switch": {"en": "switch workflow", "ja": "切り替えワークフロー"},
        "switch_head_title": {
            "en": "# {kind} {switch_id}: {outcome}",
            "ja": "# {kind} {switch_id}: {outcome}",
        },
        "switch_head_reason": {"en": "- reason: {reason}", "ja": "- 理由: {reason}"},
        "switch_head_move": {
            "en": "- resource hierarchy: from {source} to {target}{seconds}",
            "ja": "- リソース階層: {source} から {target} へ{seconds}",
        },
        "switch_head_seconds": {"en": " in {seconds:.1f} s", "ja": " ({seconds:.1f} 秒)"},
        "switch_head_times": {
            "en": "- started {started}, finished {finished} ({seconds:.1f} s)",
            "ja": "- 開始 {started}、終了 {finished} ({seconds:.1f} 秒)",
        },
        "switch_head_after_failure": {
            "en": "- after the failure: {detail}",
            "ja": "- 失敗後の状態: {detail}",
        },
    }
)
