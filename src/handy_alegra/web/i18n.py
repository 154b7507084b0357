"""The dashboard's texts, Spanish (the default) and English side by side. Reason sentences and
explanations come from ``reasons`` and ``explain``; only the page furniture lives here."""

from __future__ import annotations

from collections.abc import Callable

LANGS = ("es", "en")
DEFAULT = "es"

# key: (Spanish, English)
TEXTS: dict[str, tuple[str, str]] = {
    "lang.es": ("Español", "Español"),
    "lang.en": ("English", "English"),
    "nav.accounts": ("Cuentas", "Accounts"),
    "nav.logout": ("Salir", "Log out"),
    "nav.signed_in": ("Sesión de {name}", "Signed in as {name}"),
    "login.title": ("Entrar", "Log in"),
    "login.intro": (
        "Panel de la integración entre Handy y Alegra.",
        "Dashboard of the Handy–Alegra integration.",
    ),
    "login.username": ("Usuario", "Username"),
    "login.password": ("Contraseña", "Password"),
    "login.submit": ("Entrar", "Log in"),
    "login.failed": ("Usuario o contraseña incorrectos.", "Wrong username or password."),
    "login.throttled": (
        "Demasiados intentos fallidos. Espera {minutes} min y vuelve a intentarlo.",
        "Too many failed attempts. Wait {minutes} min and try again.",
    ),
    "csrf.title": ("Formulario rechazado", "Form refused"),
    "csrf.failed": (
        "El formulario caducó o no salió de esta página. Vuelve a cargar la página e "
        "inténtalo de nuevo.",
        "The form expired or did not come from this page. Reload the page and try again.",
    ),
    "notfound.title": ("No encontrado", "Not found"),
    "unknown_account": ("No hay ninguna cuenta llamada «{name}».", "There is no account '{name}'."),
    "back.accounts": ("Volver a las cuentas", "Back to the accounts"),
    "back.account": ("Volver a la cuenta", "Back to the account"),
    # --- accounts list ----------------------------------------------------------------------
    "accounts.title": ("Cuentas", "Accounts"),
    "accounts.new": ("Activar una cuenta", "Activate an account"),
    "accounts.empty": (
        "Todavía no hay cuentas. Activa la primera con el botón de arriba.",
        "No accounts yet. Activate the first one with the button above.",
    ),
    "accounts.no_match": (
        "Ninguna cuenta coincide con los filtros.",
        "No account matches the filters.",
    ),
    "accounts.count": ("{first}–{last} de {count} cuentas", "{first}–{last} of {count} accounts"),
    "filter.name": ("Nombre o parte de él", "Name, or part of it"),
    "filter.all_countries": ("Todos los países", "Every country"),
    "filter.all_states": ("Todos los estados", "Every state"),
    "filter.unhealthy": ("Con problemas (revisar o falla)", "With problems (a look or failing)"),
    "filter.apply": ("Filtrar", "Filter"),
    "filter.clear": ("Quitar los filtros", "Clear the filters"),
    "pager.previous": ("← Anterior", "← Previous"),
    "pager.next": ("Siguiente →", "Next →"),
    "pager.page": ("Página {page} de {pages}", "Page {page} of {pages}"),
    "col.name": ("Cuenta", "Account"),
    "col.country": ("País", "Country"),
    "col.state": ("Estado", "State"),
    "col.orders": ("Pedidos con problemas", "Orders with problems"),
    "col.skipped": ("Registros omitidos", "Records skipped"),
    "col.when": ("Cuándo", "When"),
    "col.kind": ("Tarea", "Job"),
    "col.counts": ("Resultado", "Counts"),
    "col.duration": ("Duración", "Duration"),
    "col.outcome": ("Desenlace", "Outcome"),
    "col.last_run": ("Última ejecución", "Last run"),
    "col.next_run": ("Próxima", "Next"),
    "col.order": ("Pedido", "Order"),
    "col.customer": ("Cliente", "Customer"),
    "col.status": ("Estado", "Status"),
    "col.what": ("Qué pasa y qué hacer", "What happened and what to do"),
    "col.attempts": ("Intentos", "Attempts"),
    "col.reason": ("Motivo", "Reason"),
    "col.count": ("Cuántos", "How many"),
    "col.examples": ("Ejemplos", "Examples"),
    "state.active": ("Activa", "Active"),
    "state.paused": ("Pausada", "Paused"),
    "state.running": ("Sincronizando ({job})", "Syncing ({job})"),
    "health.ok": ("Todo bien", "All good"),
    "health.warn": ("Revisar", "Needs a look"),
    "health.bad": ("Falla", "Failing"),
    "health.paused": ("En pausa", "Paused"),
    "outcome.ok": ("correcta", "ok"),
    "outcome.partial": ("con problemas", "with problems"),
    "outcome.interrupted": ("interrumpida", "interrupted"),
    "outcome.stopped": ("detenida", "stopped"),
    "outcome.crashed": ("falló por un error", "crashed"),
    "outcome.running": ("en curso", "running"),
    "outcome.never": ("nunca", "never"),
    "kind.catalog": ("Catálogo", "Catalog"),
    "kind.customers": ("Clientes", "Customers"),
    "kind.sales": ("Ventas", "Sales"),
    "kind.daily": ("Catálogo y clientes", "Catalog and customers"),
    "count.skipped": ("omitidos", "skipped"),
    "count.failed": ("fallidos", "failed"),
    "count.created": ("creados", "created"),
    "count.updated": ("actualizados", "updated"),
    "count.enabled": ("habilitados", "enabled"),
    "count.disabled": ("deshabilitados", "disabled"),
    "count.unchanged": ("sin cambios", "unchanged"),
    "count.left_alone": ("no gestionados", "left alone"),
    "count.read": ("leídos", "read"),
    "count.sent": ("enviados", "sent"),
    "count.adopted": ("recuperados", "adopted"),
    "count.voided": ("anulados", "voided"),
    "count.cancelled": ("cancelados", "cancelled"),
    "count.needs_attention": ("requieren atención", "need attention"),
    "count.pending": ("pendientes", "pending"),
    "count.written_back": ("id escrito en Handy", "id written back"),
    "count.write_back_refused": ("id rechazado por Handy", "id refused by Handy"),
    # --- activation and edit ----------------------------------------------------------------
    "activate.title": ("Activar una cuenta", "Activate an account"),
    "activate.step1": ("1. Credenciales", "1. Credentials"),
    "activate.step2": ("2. Ajustes", "2. Settings"),
    "activate.name": ("Nombre corto de la empresa", "Short name of the company"),
    "activate.country": ("País", "Country"),
    "activate.alegra_email": ("Usuario de Alegra (correo)", "Alegra user (e-mail)"),
    "activate.alegra_token": ("Token de la API de Alegra", "Alegra API token"),
    "activate.handy_token": ("Token de la API de Handy", "Handy API token"),
    "activate.alegra_url": ("Dirección de la API de Alegra", "Alegra API address"),
    "activate.handy_url": ("Dirección de la API de Handy", "Handy API address"),
    "activate.urls_help": (
        "Las de producción por defecto; cámbialas solo para pruebas.",
        "Production by default; change them for tests only.",
    ),
    "activate.timezone": ("Zona horaria", "Time zone"),
    "activate.check": ("Comprobar credenciales", "Check credentials"),
    "activate.checked": (
        "Credenciales correctas: Alegra y Handy respondieron.",
        "Credentials work: Alegra and Handy answered.",
    ),
    "activate.checked_co": (
        "Handy tiene las categorías «Persona jurídica» y «Persona natural».",
        "Handy has the categories 'Persona jurídica' and 'Persona natural'.",
    ),
    "activate.change": ("Cambiar credenciales", "Change the credentials"),
    "activate.price_list": ("Lista de precios de Alegra", "Alegra price list"),
    "activate.all_items": (
        "Sincronizar también los productos no inventariables (servicios)",
        "Also sync items that are not inventoriable (services)",
    ),
    "activate.daily_at": ("Hora de la sincronización diaria", "Time of the daily sync"),
    "activate.sales_every": ("Minutos entre envíos de ventas", "Minutes between sales cycles"),
    "activate.submit": ("Activar", "Activate"),
    "activate.failed": (
        "No se pudo activar la cuenta: {error} No se guardó nada.",
        "The account could not be activated: {error} Nothing was stored.",
    ),
    "activate.check_failed": (
        "Las credenciales no pasaron la comprobación: {error}",
        "The credentials did not pass the check: {error}",
    ),
    "activate.no_lists": (
        "La empresa no tiene listas de precios en Alegra; crea una y vuelve a comprobar.",
        "The company has no price lists in Alegra; create one and check again.",
    ),
    "activate.done": (
        "Cuenta «{name}» activada. La primera sincronización empieza en cuanto el servicio la "
        "recoja.",
        "Account '{name}' activated. The first sync starts as soon as the service picks it up.",
    ),
    "activate.missing": ("Faltan datos: {fields}.", "Missing: {fields}."),
    "activate.bad_name": (
        "El nombre corto lleva de 1 a 64 caracteres: letras sin acentos, números, punto, guion "
        "y guion bajo, y empieza con una letra o un número.",
        "The short name has 1 to 64 characters: plain letters, digits, dot, hyphen and "
        "underscore, starting with a letter or a digit.",
    ),
    "activate.taken": (
        "Ya existe una cuenta llamada «{name}».",
        "An account named '{name}' already exists.",
    ),
    "activate.recheck": (
        "Vuelve a escribir y comprobar las credenciales.",
        "Type and check the credentials again.",
    ),
    "activate.bad_interval": (
        "los minutos entre envíos deben ser un número entero mayor que 0.",
        "the minutes between sales cycles must be a whole number above 0.",
    ),
    "activate.sealed": (
        "Credenciales comprobadas (guardadas cifradas en este formulario).",
        "Credentials checked (kept encrypted in this form).",
    ),
    "edit.title": ("Ajustes de {name}", "Settings of {name}"),
    "edit.submit": ("Guardar", "Save"),
    "edit.saved": ("Cambios guardados.", "Changes saved."),
    "edit.failed": ("No se guardó nada: {error}", "Nothing was saved: {error}"),
    "edit.lists_failed": (
        "No se pudieron leer las listas de precios de Alegra: {error}",
        "Could not read Alegra's price lists: {error}",
    ),
    "edit.default_zone": (
        "Zona para clientes sin vendedor",
        "Zone for customers without a seller",
    ),
    "edit.default_family": (
        "Familia para productos sin categoría",
        "Family for items without a category",
    ),
    "edit.colombia_regime": (
        "Régimen de los clientes nuevos en Alegra (Colombia)",
        "Regime of new Alegra clients (Colombia)",
    ),
    # --- one account ------------------------------------------------------------------------
    "account.edit": ("Ajustes", "Settings"),
    "account.pause": ("Pausar", "Pause"),
    "account.resume": ("Reanudar", "Resume"),
    "account.paused": (
        "Cuenta en pausa: no se sincroniza hasta reanudarla.",
        "Account paused: nothing is synced until it is resumed.",
    ),
    "account.resumed": ("Cuenta reanudada.", "Account resumed."),
    "account.jobs": ("Tareas", "Jobs"),
    "account.sync_now": ("Sincronizar ahora", "Sync now"),
    "account.sync_queued": (
        "{kind}: en cola; el servicio la ejecuta en su siguiente vuelta.",
        "{kind}: queued; the service runs it at its next look.",
    ),
    "account.sync_waiting": (
        "{kind}: ya había una sincronización en cola.",
        "{kind}: one was already queued.",
    ),
    "account.chart": ("Ejecuciones por día, últimas 4 semanas", "Runs per day, last 4 weeks"),
    "account.runs": ("Ejecuciones", "Runs"),
    "account.no_runs": ("Todavía no hay ejecuciones.", "No runs yet."),
    "account.problems": ("Problemas", "Problems"),
    "account.orders": ("Pedidos no enviados", "Orders not sent"),
    "account.no_orders": (
        "Ningún pedido espera atención.",
        "No order is waiting for attention.",
    ),
    "account.products": ("Productos que no se sincronizan", "Items not synced"),
    "account.customers": ("Contactos que no se sincronizan", "Contacts not synced"),
    "account.webhooks": (
        "Avisos de Alegra que no se pudieron usar (últimos {days} días)",
        "Alegra deliveries that could not be used (last {days} days)",
    ),
    "account.none": ("Ninguno.", "None."),
    "account.retry": ("Reintentar ahora", "Retry now"),
    "account.retried": (
        "El pedido {id} se enviará en la próxima sincronización de ventas, que ya está en cola.",
        "Order {id} will be sent in the next sales cycle, which is queued.",
    ),
    "account.retry_failed": ("No se pudo reintentar: {error}", "Could not retry: {error}"),
    "account.lookup": ("Buscar", "Look up"),
    "account.lookup_title": ("Buscar un registro", "Look up a record"),
    "account.lookup_key": ("Id, referencia o nombre", "Id, reference or name"),
    "account.lookup_order": ("Pedido (id de Handy)", "Order (Handy id)"),
    "account.lookup_product": ("Producto (referencia)", "Product (reference)"),
    "account.lookup_customer": ("Cliente (código o nombre)", "Customer (code or name)"),
    "account.refreshing": (
        "Esta página se actualiza sola mientras hay trabajo en curso.",
        "This page refreshes itself while work is in progress.",
    ),
    "account.chart_empty": ("Sin ejecuciones en estas semanas.", "No runs in these weeks."),
    "account.price_list": ("Lista de precios: {name}", "Price list: {name}"),
    "account.items_all": ("todos los productos", "all items"),
    "account.items_inventoriable": ("solo inventariables", "inventoriable items only"),
    "account.schedule": (
        "Diaria a las {daily} ({zone}); ventas cada {every} min",
        "Daily at {daily} ({zone}); sales every {every} min",
    ),
    "order.pending": ("pendiente", "pending"),
    "order.sending": ("enviándose", "being sent"),
    "order.sent": ("enviado", "sent"),
    "order.failed": ("no enviado", "not sent"),
    "order.needs_attention": ("requiere atención", "needs attention"),
    "order.cancelling": ("anulándose", "being voided"),
    "order.voided": ("anulado", "voided"),
    "order.cancelled": ("cancelado", "cancelled"),
    "order.superseded": ("reemplazado", "superseded"),
    "order.waiting": (
        "Una sincronización de ventas está en cola o en curso; esta página se actualiza sola.",
        "A sales cycle is queued or running; this page refreshes itself.",
    ),
    "lookup.nothing": ("Escribe qué buscar.", "Type what to look up."),
}


def normalize(lang: object) -> str:
    return lang if isinstance(lang, str) and lang in LANGS else DEFAULT


def text(lang: str, key: str, **values: object) -> str:
    pair = TEXTS.get(key)
    if pair is None:
        return key.rsplit(".", 1)[-1].replace("_", " ")
    template = pair[LANGS.index(normalize(lang))]
    return template.format(**values) if values else template


def translator(lang: str) -> Callable[..., str]:
    def t(key: str, **values: object) -> str:
        return text(lang, key, **values)

    return t
