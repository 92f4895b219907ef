"""The one list-page pattern: a FilterSet, a Table and one view that serves the page and, to
htmx (not boosted) requests, only its `#results` partial.

    @organization_required
    def study_list(request):
        return list_page(request, "studies/study_list.html", StudyTable, StudyFilterSet,
                         selectors.study_list(organization=request.organization))

The template puts its table in `{% partialdef results inline %}<div id="results">…</div>`, and
its filter form posts there with hx-get / hx-target="#results". The table gets the person's
chosen columns, sorting from ?sort= and a page that doesn't count every row
(core.tables.configure_table; `table.shown` says which rows the page holds, "26–50", without
a COUNT).
"""

from django.shortcuts import render

from .tables import configure_table


def list_page(request, template, table_class, filterset_class, queryset, *, per_page=50, context=None, status=200):
    filterset = filterset_class(request.GET, queryset=queryset, request=request) if filterset_class else None
    table = table_class(filterset.qs if filterset is not None else queryset)
    configure_table(table, request, per_page=per_page)
    partial = request.htmx and not request.htmx.boosted
    return render(
        request,
        f"{template}#results" if partial else template,
        {"table": table, "filterset": filterset, **(context or {})},
        status=status,
    )
